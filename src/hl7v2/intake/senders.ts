/**
 * @module Per-sender intake policy from a small YAML/JSON file (HL7_SENDERS_FILE): ACK after store
 * or after processing, charset override, and the allowlist (peer CIDRs and MSH-3/MSH-4).
 *
 * ```yaml
 * allowlist: true                 # only listed senders are accepted (default false: anyone)
 * peers: [10.0.0.0/8, 127.0.0.1]  # peers allowed to connect at all (default: any)
 * default: { ackMode: store }
 * senders:
 *   - { application: LAB, facility: NWH, ackMode: process, charset: 8859/1, peers: [10.1.2.0/24] }
 * ```
 */
import { readFileSync } from 'node:fs';
import { BlockList, isIPv6 } from 'node:net';
import { parse as parseYaml } from 'yaml';
import { CarebridgeError } from '../../errors/index.js';
import type { AckMode } from './schema.js';

export interface SenderRule {
  readonly application: string;
  /** Absent = any facility of this application. */
  readonly facility?: string;
  readonly ackMode?: AckMode;
  readonly charset?: string;
  readonly peers?: readonly string[];
}

export interface SendersFile {
  readonly allowlist?: boolean;
  readonly peers?: readonly string[];
  readonly default?: { readonly ackMode?: AckMode; readonly charset?: string };
  readonly senders?: readonly SenderRule[];
}

export interface SenderPolicy {
  readonly ackMode: AckMode;
  readonly charset?: string;
}

export interface SenderDirectory {
  /** May this peer connect / post at all? */
  allowsPeer(address: string): boolean;
  /** The policy for a sender, or undefined when the allowlist refuses it (from this peer). */
  policyFor(application: string, facility: string, address: string | undefined): SenderPolicy | undefined;
}

function blockList(cidrs: readonly string[], where: string): BlockList {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [address, bits] = cidr.split('/');
    const type = isIPv6(address ?? '') ? 'ipv6' : 'ipv4';
    try {
      if (bits === undefined) list.addAddress(address!, type);
      else list.addSubnet(address!, Number(bits), type);
    } catch (err) {
      throw new CarebridgeError('CB_ERR_CONFIG', `${where}: '${cidr}' is not an IP address or CIDR (${(err as Error).message})`);
    }
  }
  return list;
}

function matches(list: BlockList | undefined, address: string | undefined): boolean {
  if (!list) return true;
  if (!address) return false;
  return list.check(address, isIPv6(address) ? 'ipv6' : 'ipv4');
}

export function createSenderDirectory(file: SendersFile = {}, source = 'senders'): SenderDirectory {
  const peers = file.peers?.length ? blockList(file.peers, `${source} peers`) : undefined;
  const fallback: SenderPolicy = { ackMode: file.default?.ackMode ?? 'store', charset: file.default?.charset };
  const rules = (file.senders ?? []).map((r, i) => {
    if (!r.application) throw new CarebridgeError('CB_ERR_CONFIG', `${source} senders[${i}]: application is required`);
    if (r.ackMode && r.ackMode !== 'store' && r.ackMode !== 'process') {
      throw new CarebridgeError('CB_ERR_CONFIG', `${source} senders[${i}]: ackMode must be 'store' or 'process'`);
    }
    return { rule: r, peers: r.peers?.length ? blockList(r.peers, `${source} senders[${i}].peers`) : undefined };
  });
  return {
    allowsPeer: (address) => matches(peers, address),
    policyFor(application, facility, address) {
      const hit = rules.find(({ rule }) => rule.application === application && (rule.facility === undefined || rule.facility === facility));
      if (!hit) return file.allowlist ? undefined : fallback;
      if (!matches(hit.peers, address)) return undefined;
      return { ackMode: hit.rule.ackMode ?? fallback.ackMode, charset: hit.rule.charset ?? fallback.charset };
    },
  };
}

/** Reads HL7_SENDERS_FILE (YAML or JSON); a bad file stops the start with file and reason. */
export function loadSenderDirectory(path: string | undefined): SenderDirectory {
  if (!path) return createSenderDirectory();
  let parsed: unknown;
  try {
    parsed = parseYaml(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new CarebridgeError('CB_ERR_CONFIG', `HL7_SENDERS_FILE ${path}: ${(err as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new CarebridgeError('CB_ERR_CONFIG', `HL7_SENDERS_FILE ${path}: expected a mapping with allowlist/peers/default/senders`);
  }
  return createSenderDirectory(parsed as SendersFile, path);
}
