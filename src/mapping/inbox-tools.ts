/**
 * @module Tools over stored inbox traffic: the unmapped-data report aggregated per sender, and
 * replay-diff (stored messages through a candidate mapping set, diffed against the current one).
 * Nothing is written.
 */
import type { Bundle, BundleEntry } from 'fhir/r4.js';
import type { AnyDb } from '../db/index.js';
import { getMessage, parseMessage, searchMessages } from '../hl7v2/index.js';
import { formatUnmapped } from './compile/unmapped.js';
import type { MappableMessage } from './hl7-shape.js';
import type { MappingSet } from './mapping-set.js';

export interface InboxSelection { readonly sender?: string; readonly type?: string; readonly limit?: number }

export interface UnmappedReport {
  readonly messages: number;
  readonly failed: number;
  /** sender → unmapped item (`PID-13`, `ZPI`) → messages in which it was populated but not read */
  readonly bySender: Record<string, Record<string, number>>;
}

async function* storedMessages(db: AnyDb, sel: InboxSelection): AsyncGenerator<{ id: string; sender: string; controlId: string; type: string; message?: MappableMessage }> {
  const list = await searchMessages(db, { sender: sel.sender, type: sel.type, limit: sel.limit ?? 1000 });
  for (const s of list) {
    const d = await getMessage(db, s.id);
    let message: MappableMessage | undefined;
    try {
      message = d.raw ? (parseMessage(d.raw) as unknown as MappableMessage) : undefined;
    } catch {
      message = undefined;
    }
    yield { id: s.id, sender: s.sender, controlId: s.controlId, type: s.type, message };
  }
}

export async function unmappedReport(db: AnyDb, set: MappingSet, sel: InboxSelection = {}): Promise<UnmappedReport> {
  const bySender: Record<string, Record<string, number>> = {};
  let messages = 0;
  let failed = 0;
  for await (const m of storedMessages(db, sel)) {
    if (!m.message) continue;
    const h = m.message.header;
    if (!set.mappingFor(h.messageType, h.triggerEvent)) continue;
    messages++;
    try {
      const items = new Set(set.mapMessage(m.message).unmapped.map((u) => formatUnmapped({ ...u, occurrence: 1 })));
      const counts = (bySender[m.sender] ??= {});
      for (const i of items) counts[i] = (counts[i] ?? 0) + 1;
    } catch {
      failed++;
    }
  }
  return { messages, failed, bySender };
}

export interface ResourceChange { readonly request: string; readonly path: string; readonly before: unknown; readonly after: unknown }
export interface ReplayDiff { readonly id: string; readonly controlId: string; readonly type: string; readonly changes: ResourceChange[]; readonly error?: string }

export async function replayDiff(db: AnyDb, current: MappingSet, candidate: MappingSet, sel: InboxSelection = {}): Promise<ReplayDiff[]> {
  const out: ReplayDiff[] = [];
  for await (const m of storedMessages(db, sel)) {
    if (!m.message) continue;
    try {
      out.push({ id: m.id, controlId: m.controlId, type: m.type, changes: diffOutputs(mapOrEmpty(current, m.message), mapOrEmpty(candidate, m.message)) });
    } catch (err) {
      out.push({ id: m.id, controlId: m.controlId, type: m.type, changes: [], error: (err as Error).message });
    }
  }
  return out;
}

function mapOrEmpty(set: MappingSet, message: MappableMessage): Bundle {
  const h = message.header;
  if (!set.mappingFor(h.messageType, h.triggerEvent)) return { resourceType: 'Bundle', type: 'transaction', entry: [] };
  return set.mapMessage(message).bundle;
}

/** Resource-by-resource (keyed by request line) differences, meta ignored. */
export function diffOutputs(before: Bundle, after: Bundle): ResourceChange[] {
  const key = (e: BundleEntry) => `${e.request?.method} ${e.request?.url}`;
  const strip = (e: BundleEntry | undefined) => {
    if (!e?.resource) return undefined;
    const { meta: _meta, ...rest } = e.resource as unknown as Record<string, unknown>;
    return rest;
  };
  const a = new Map((before.entry ?? []).map((e) => [key(e), e]));
  const b = new Map((after.entry ?? []).map((e) => [key(e), e]));
  const changes: ResourceChange[] = [];
  for (const k of new Set([...a.keys(), ...b.keys()])) {
    if (k.includes('Provenance/')) continue;
    diffValue(k, '', strip(a.get(k)), strip(b.get(k)), changes);
  }
  return changes;
}

function diffValue(request: string, path: string, x: unknown, y: unknown, out: ResourceChange[]): void {
  if (JSON.stringify(x) === JSON.stringify(y)) return;
  const isObj = (v: unknown) => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (isObj(x) && isObj(y)) {
    const xo = x as Record<string, unknown>;
    const yo = y as Record<string, unknown>;
    for (const k of new Set([...Object.keys(xo), ...Object.keys(yo)])) diffValue(request, path ? `${path}.${k}` : k, xo[k], yo[k], out);
    return;
  }
  // urn:uuid references are derived from sender, control id, key and position: equal across mapping sets.
  out.push({ request, path: path || '(resource)', before: x, after: y });
}
