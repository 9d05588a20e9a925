/**
 * @module Runs a compiled message map over one message: instances first (so references can be
 * resolved), then each resource, its identity (conditional update) and meta; the result is a FHIR
 * transaction Bundle.
 */
import { hash } from 'node:crypto';
import type { Bundle, BundleEntry, FhirResource, Identifier } from 'fhir/r4.js';
import type { MappableMessage } from '../hl7-shape.js';
import type { ExplainEntry, MappingResult, MergeInstruction, UnmappedField } from '../types.js';
import { v2DateTime } from '../datetime.js';
import { CarebridgeError } from '../../errors/index.js';
import type { CompiledEntry, CompiledMessageMap } from './message.js';
import { prune } from './rules.js';
import { buildSegmentIndex, segmentFor, type Instance, type MapRun, type Scope } from './runtime.js';
import { unmappedFields } from './unmapped.js';

export const MAPPING_TAG_SYSTEM = 'https://carebridge.dev/fhir/CodeSystem/mapping';

export interface RunOptions { readonly explain?: boolean; readonly timeZone: string; readonly mappingHash: string }

interface Planned { readonly entry: CompiledEntry; readonly inst: Instance; readonly scope: Scope }

export function runMessageMap(map: CompiledMessageMap, message: MappableMessage, o: RunOptions): MappingResult {
  const h = message.header;
  const sender = `${h.sendingApplication}|${h.sendingFacility}`;
  // Per entry (by its index in map.entries): no Map filled (and grown) per message.
  const instances = new Array<Instance[]>(map.entries.length);
  // One shape for every run (a spread of an optional `explain` made two shapes and a runtime call).
  const run: MapRun = {
    message, event: h.triggerEvent, sender, timeZone: o.timeZone, constants: map.constants,
    index: buildSegmentIndex(message), instances, keyIndex: map.keyIndex, within: map.within, prefix: '', holes: false,
    explain: o.explain ? ([] as ExplainEntry[]) : undefined, refs: [],
  };
  const skipped = new Set<number>();
  const urnBase = hashHex(sender, h.controlId);
  const planned = plan(map, run, instances, skipped, urnBase);
  const entries: BundleEntry[] = [];
  /** Per entry, what its request url is made of (dedupeEntries compares these, not the urls). */
  const urlParts: UrlParts[] = [];
  const merges: MergeInstruction[] = [];
  const meta = {
    // Same form the store writes from the WriteSource (urn:carebridge:<kind>:<sender>#<control id>).
    source: `${sourcePrefix(sender)}${uriComponent(h.controlId)}`,
    tag: [{ system: MAPPING_TAG_SYSTEM, code: map.id, version: o.mappingHash }],
  };
  for (const p of planned) {
    // resourceType first (readable JSON): the rules fill an object that already holds it.
    const body: Record<string, unknown> = { resourceType: p.inst.resourceType };
    p.entry.build(run, p.scope, body);
    const identity = identityOf(p, run, body);
    if (!identity && p.entry.required) {
      throw new CarebridgeError('CB_ERR_MAP_FAILED', `${p.inst.resourceType} '${p.entry.key}' (${p.entry.mapId}) cannot be identified: its identity fields are empty`, {
        details: [{ diagnostics: `no identity for ${p.inst.resourceType}`, location: p.entry.segment }],
      });
    }
    if (map.merge && p.entry.key === map.merge.from) {
      const into = planned.find((x) => x.entry.key === map.merge!.into);
      const intoIdentity = into ? identityOf(into, run, {}) : undefined;
      if (identity && intoIdentity) merges.push({ resourceType: p.inst.resourceType, fromQuery: identity, intoQuery: intoIdentity });
      continue;
    }
    const out = run.holes ? (prune(body) as Record<string, unknown>) : body;
    out.meta = { source: meta.source, tag: [meta.tag[0]] };
    urlParts.push({ resourceType: p.inst.resourceType, identity, key: p.inst.key, pos: p.inst.pos });
    entries.push({
      fullUrl: p.inst.fullUrl,
      resource: out as unknown as FhirResource,
      request: identity
        ? { method: 'PUT', url: `${p.inst.resourceType}?${identity}` }
        : { method: 'PUT', url: `${p.inst.resourceType}/${stableId(sender, h.controlId, p.inst.key, p.inst.pos)}` },
    });
  }
  if (entries.length > 1) dedupeEntries(entries, urlParts, run.refs);
  if (map.provenance && entries.length) entries.push(provenanceEntry(entries, urnBase, sender, h.controlId, h.dateTime, run.timeZone, meta));
  const bundle: Bundle = { resourceType: 'Bundle', type: 'transaction', entry: entries };
  const result = new Mapped(bundle, map.id, o.mappingHash, merges, message, map.reads, skipped);
  if (run.explain) result.explain = run.explain;
  return result;
}

/**
 * A mapping result whose unmapped report is computed on first read (the intake's processor never
 * asks for it). The getter is on the class, not in an object literal: with a literal `get`, each
 * parsed message stayed reachable past young-generation GC (V8 keeps a literal's accessor in the
 * object's hidden class, so old-space metadata pointed at the per-message closure and through it
 * at the message). Measured: 85 % of what parse + map allocated survived each scavenge and was
 * promoted, and scavenges took 12–30 ms; parse + map ran 2–3× slower than parse and map apart.
 */
class Mapped implements MappingResult {
  explain?: ExplainEntry[];
  readonly #message: MappableMessage;
  readonly #reads: ReadonlyMap<string, ReadonlySet<number>>;
  readonly #skipped: ReadonlySet<number>;
  #unmapped: UnmappedField[] | undefined;

  constructor(
    readonly bundle: Bundle,
    readonly mappingId: string,
    readonly mappingHash: string,
    readonly merges: MergeInstruction[],
    message: MappableMessage,
    reads: ReadonlyMap<string, ReadonlySet<number>>,
    skipped: ReadonlySet<number>,
  ) {
    this.#message = message;
    this.#reads = reads;
    this.#skipped = skipped;
  }

  get unmapped(): UnmappedField[] {
    return (this.#unmapped ??= unmappedFields(this.#message, this.#reads, this.#skipped));
  }
}

function plan(map: CompiledMessageMap, run: MapRun, instances: Instance[][], skipped: Set<number>, urnBase: string): Planned[] {
  const out: Planned[] = [];
  for (let ei = 0; ei < map.entries.length; ei++) {
    const e = map.entries[ei]!;
    const positions = run.index[e.segmentSlot];
    if (!positions) continue;
    const count = e.foreach ? positions.length : 1;
    for (let k = 0; k < count; k++) {
      const pos = positions[k]!;
      const parentPos = e.withinSlot !== undefined ? nearestBefore(run.index[e.withinSlot], pos) : -1;
      const seg = run.message.segments[pos];
      // What `when` and the field reader see as the instance (only built for them; same shape as an Instance).
      const probe: Instance | undefined = e.when || e.field ? { key: e.key, pos, parentPos, fullUrl: '', resourceType: e.resourceType, node: undefined } : undefined;
      if (e.when && !e.when(run, { seg, pos, node: undefined, inst: probe! })) {
        // A foreach segment left out by `when` (an OBX without code) is reported, not silently lost.
        if (e.foreach && !e.field) skipped.add(pos);
        continue;
      }
      if (!e.field) {
        const inst: Instance = { key: e.key, pos, parentPos, fullUrl: urnFor(urnBase, out.length), resourceType: e.resourceType, node: undefined };
        addInstance(instances, ei, inst);
        out.push({ entry: e, inst, scope: { seg, pos, node: undefined, inst } });
        continue;
      }
      // Field resources: every repetition with `foreach` (PV1-7 attending doctors), else the first.
      // The reader returns only repetitions with a value (compileNodesReader).
      const nodes = e.field(run, { seg, pos, node: undefined, inst: probe! });
      const n = e.foreach ? nodes.length : Math.min(1, nodes.length);
      for (let j = 0; j < n; j++) {
        const node = nodes[j]!;
        const inst: Instance = { key: e.key, pos, parentPos, fullUrl: urnFor(urnBase, out.length), resourceType: e.resourceType, node };
        addInstance(instances, ei, inst);
        out.push({ entry: e, inst, scope: { seg: segmentFor(run, e.segmentSlot, pos), pos, node, inst } });
      }
    }
  }
  return out;
}

/**
 * An entry's instances start as an array literal of one: an empty array grows (a runtime call and
 * a 17-slot store) on its first push. An entry without instances keeps none (refsFor reads that as empty).
 */
function addInstance(instances: Instance[][], entry: number, inst: Instance): void {
  const list = instances[entry];
  if (list) list.push(inst);
  else instances[entry] = [inst];
}

function nearestBefore(list: readonly number[] | undefined, pos: number): number {
  let best = -1;
  for (const p of list ?? []) if (p <= pos) best = p;
  return best;
}

/** `identifier=system|value` (FHIR search escaping), or undefined when the key is missing. */
function identityOf(p: Planned, run: MapRun, body: Record<string, unknown>): string | undefined {
  const id = p.entry.identity;
  if (!id) return undefined;
  let system: string | undefined;
  let value: string | undefined;
  if (id.identifier) {
    const i = id.identifier(run, p.scope) as Identifier | undefined;
    system = i?.system;
    value = i?.value;
  } else {
    system = id.system ? (id.system(run, p.scope) as string | undefined) : undefined;
    value = id.value ? (id.value(run, p.scope) as string | undefined) : undefined;
  }
  if (value === undefined) return undefined;
  if (id.addIdentifier) {
    const list = ((body.identifier ?? []) as Array<{ system?: string; value?: string }>);
    let has = false;
    for (let i = 0; i < list.length && !has; i++) has = list[i]!.system === system && list[i]!.value === value;
    // A new array rather than unshift (which moves the elements in the runtime, ~500 instructions).
    if (!has) body.identifier = [system ? { system, value } : { value }, ...list];
  }
  // Plain system and value (the usual case) need neither escape: no scan of the joined string.
  if (isPlain(value) && (!system || isPlain(system))) return system ? `${id.param}=${system}|${value}` : `${id.param}=|${value}`;
  // queryEscape keeps `|`, so escaping system and value apart is escaping `system|value`.
  return system ? `${id.param}=${queryEscape(searchEscape(system))}|${queryEscape(searchEscape(value))}` : `${id.param}=|${queryEscape(searchEscape(value))}`;
}

/**
 * ASCII character classes for `allIn` (a lookup per character: these scans run for every resource
 * of every message). UNRESERVED is what encodeURIComponent leaves alone; PLAIN adds `:` and `/`,
 * which need neither searchEscape (backslash | , $) nor percent-encoding in a query; QUERY_SAFE adds `|`.
 */
const UNRESERVED = asciiSet('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~-');
const PLAIN = asciiSet('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~-:/');
const QUERY_SAFE = asciiSet('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~-:/|');

function asciiSet(chars: string): Uint8Array {
  const set = new Uint8Array(128);
  for (let i = 0; i < chars.length; i++) set[chars.charCodeAt(i)] = 1;
  return set;
}

/** Every character of `s` is in `set`. */
function allIn(s: string, set: Uint8Array): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || set[c] === 0) return false;
  }
  return true;
}

const isPlain = (s: string): boolean => allIn(s, PLAIN);
const SEARCH_SPECIAL = /[\\|,$]/g;
const searchEscape = (s: string): string => (hasSearchSpecial(s) ? s.replace(SEARCH_SPECIAL, (c) => `\\${c}`) : s);
const queryEscape = (s: string): string => (allIn(s, QUERY_SAFE) ? s : percentEncode(s));

/** encodeURIComponent, with `|`, `:` and `/` put back (each replace only when its escape occurs). */
function percentEncode(s: string): string {
  let e = encodeURIComponent(s);
  if (e.includes('%7C')) e = e.replace(/%7C/g, '|');
  if (e.includes('%3A')) e = e.replace(/%3A/g, ':');
  if (e.includes('%2F')) e = e.replace(/%2F/g, '/');
  return e;
}

// Character scans instead of regular expressions: both run for every resource of every message.
function hasSearchSpecial(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 92 /* \\ */ || c === 124 /* | */ || c === 44 /* , */ || c === 36 /* $ */) return true;
  }
  return false;
}

/** encodeURIComponent without the call and the copy when only [A-Za-z0-9._~-] occur (control ids mostly). */
const uriComponent = (s: string): string => (allIn(s, UNRESERVED) ? s : encodeURIComponent(s));

function hashHex(...parts: Array<string | number>): string {
  // One-shot hash: no Hash object per call (same digest as createHash().update().digest()).
  return hash('sha1', parts.join('\u0000'), 'hex');
}

/**
 * One hash per message (sender + control id), the instance's index in the bundle in the last
 * group: deterministic (replay-diff, tests) and unique within the bundle, without a hash per resource.
 */
function urnFor(base: string, index: number): string {
  return `${urnPrefix(base)}${index < URN_SUFFIX.length ? URN_SUFFIX[index]! : urnSuffix(index)}`;
}

let lastSender: string | undefined;
let lastSourcePrefix = '';
/** `urn:carebridge:hl7v2:<sender>#` (cached: consecutive messages mostly come from one sender). */
function sourcePrefix(sender: string): string {
  if (sender !== lastSender) {
    lastSender = sender;
    lastSourcePrefix = `urn:carebridge:hl7v2:${encodeURIComponent(sender)}#`;
  }
  return lastSourcePrefix;
}

/** The last group of an instance's urn for the first bundle indexes (every message has a few). */
const urnSuffix = (index: number): string => index.toString(16).padStart(12, '0');
const URN_SUFFIX = Array.from({ length: 256 }, (_, i) => urnSuffix(i));
/** The Provenance's urn (past any resource's index): its suffix made once, not per message (a radix conversion in the runtime, ~2 % of a message). */
const PROVENANCE_URN_SUFFIX = urnSuffix(0xffffffff);

let lastBase = '';
let lastPrefix = '';
/** `urn:uuid:xxxxxxxx-xxxx-5xxx-yxxx-` of a message hash (cached: every resource of a message shares it). */
function urnPrefix(base: string): string {
  if (base !== lastBase) {
    lastBase = base;
    lastPrefix = `urn:uuid:${base.slice(0, 8)}-${base.slice(8, 12)}-5${base.slice(13, 16)}-${((parseInt(base[16]!, 16) & 3) | 8).toString(16)}${base.slice(17, 20)}-`;
  }
  return lastPrefix;
}

/** Used when a resource has no business identifier: the same message always writes the same id. */
function stableId(sender: string, controlId: string, key: string, pos: number): string {
  return `cb-${hashHex(sender, controlId, key, pos).slice(0, 32)}`;
}

function provenanceEntry(entries: BundleEntry[], urnBase: string, sender: string, controlId: string, dateTime: string, tz: string, meta: object): BundleEntry {
  // The message's own hash: a re-sent message rewrites the same Provenance.
  const id = `cb-${urnBase.slice(0, 32)}`;
  // Built in parts: V8 creates an object literal nested more than three levels deep in the
  // runtime (~2,000 instructions per message here), one up to three levels deep inline.
  const activity = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-DataOperation', code: 'UPDATE' }] };
  const what = { identifier: { system: 'urn:carebridge:hl7v2:control-id', value: `${sender}|${controlId}` } };
  const resource = {
    resourceType: 'Provenance',
    target: entries.map((e) => ({ reference: e.fullUrl! })),
    // MSH-7, not the clock: the same message must map to the same bundle (replay-diff, tests).
    recorded: v2DateTime(dateTime, 'instant', tz) ?? `${v2DateTime(dateTime, 'date', tz) ?? '1970-01-01'}T00:00:00Z`,
    activity,
    agent: [{ who: { display: sender } }],
    entity: [{ role: 'source', what }],
    meta,
  };
  return { fullUrl: `${urnPrefix(urnBase)}${PROVENANCE_URN_SUFFIX}`, resource: resource as FhirResource, request: { method: 'PUT', url: `Provenance/${id}` } };
}

interface UrlParts { readonly resourceType: string; readonly identity: string | undefined; readonly key: string; readonly pos: number }

/**
 * Do two entries have the same request url? `<type>?<identity>` or `<type>/cb-<sha1(sender,
 * control id, key, pos)>`; sender and control id are the message's, a resource type holds neither
 * `?` nor `/`, and the key and position are what the hash tells apart: equal parts, equal urls.
 * Compared without building, hashing or flattening the url strings.
 */
function sameUrl(a: UrlParts, b: UrlParts): boolean {
  if (a.resourceType !== b.resourceType) return false;
  if (a.identity !== undefined || b.identity !== undefined) return a.identity === b.identity;
  return a.key === b.key && a.pos === b.pos;
}

/** Up to this many entries, dedupeEntries compares each pair's parts; above, it hashes the urls. */
const PAIRWISE_MAX = 48;

/**
 * Two instances with the same identity (the same practitioner on two AIP segments) become one
 * entry: a transaction must not write one resource twice. References to the dropped entry are
 * pointed at the kept one.
 */
function dedupeEntries(entries: BundleEntry[], parts: UrlParts[], refs: ReadonlyArray<{ reference: string }>): void {
  if (entries.length > PAIRWISE_MAX) {
    const alias = new Map<string, string>();
    dedupeByUrl(entries, alias);
    if (alias.size) fixReferences(refs, alias);
    return;
  }
  let alias: Map<string, string> | undefined;
  let kept = 0;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    let first: BundleEntry | undefined;
    for (let j = 0; j < kept && !first; j++) if (sameUrl(parts[j]!, parts[i]!)) first = entries[j];
    if (first === undefined) {
      entries[kept] = e;
      parts[kept++] = parts[i]!;
    } else (alias ??= new Map()).set(e.fullUrl!, first.fullUrl!);
  }
  entries.length = kept;
  if (alias) fixReferences(refs, alias);
}

function dedupeByUrl(entries: BundleEntry[], alias: Map<string, string>): void {
  const seen = new Map<string, string>();
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    const url = e.request!.url;
    const first = seen.get(url);
    if (first === undefined) {
      seen.set(url, e.fullUrl!);
      continue;
    }
    alias.set(e.fullUrl!, first);
    entries.splice(i--, 1);
  }
}

/**
 * References to a dropped entry point at the kept one. Every Reference to an instance was made by
 * refTo (MapRun.refs), so these are all there are: no walk over every resource for `reference`
 * keys (that walk was ~2 % of a message, and every message with one practitioner in two roles
 * made it).
 */
function fixReferences(refs: ReadonlyArray<{ reference: string }>, alias: ReadonlyMap<string, string>): void {
  for (let i = 0; i < refs.length; i++) {
    const to = alias.get(refs[i]!.reference);
    if (to !== undefined) refs[i]!.reference = to;
  }
}
