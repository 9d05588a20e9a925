/**
 * @module Transaction and batch bundles (http://hl7.org/fhir/R4/http.html#transaction).
 *
 * A transaction runs in ONE database transaction. First every entry's target id is settled
 * (conditional criteria locked and matched, new ids assigned) so that urn:uuid references can point
 * at any entry regardless of order; then references are rewritten and the entries run in the
 * order FHIR prescribes: DELETE, POST, PUT, GET. Any failure rolls the whole bundle back.
 */
import type { Bundle, BundleEntry, Resource } from 'fhir/r4.js';
import type { AnyDb } from '../db/index.js';
import { CarebridgeError, normalizeError } from '../errors/index.js';
import { processBatch } from './batch.js';
import { entryError, parseEntryRequest, type EntryRequest } from './bundle-request.js';
import { assertCan, getEntry, writtenEntry } from './bundle-response.js';
import { lockAndMatch, multiple, parseConditional, unchangedMatch } from './conditional.js';
import { deleteById, prepareNew, upsertById, upsertManyById } from './crud.js';
import { readCurrent } from './read.js';
import { newResourceId } from './resource-meta.js';
import { needsResolution, rewriteReferences } from './references.js';
import { matchesQuery } from './search/index.js';
import type { AccessPolicy, FhirStore, WriteOptions } from './types.js';
import { writeVersions, type VersionWrite } from './write.js';
import { validateResource } from './validation/index.js';

export interface BundleOptions extends WriteOptions {
  access?: AccessPolicy;
  baseUrl: string;
}

interface Plan {
  readonly index: number;
  readonly entry: BundleEntry;
  readonly req: EntryRequest;
  /** Settled target ids (several only for a conditional DELETE). */
  ids: string[];
  /** POST whose ifNoneExist matched, or a conditional PUT that would change nothing: nothing is written. */
  existing?: boolean;
  /**
   * Conditional PUT whose criteria (locked) match nothing and whose body names no id: a create
   * under a new server id, written with the bundle's other creates instead of row by row.
   */
  fresh?: boolean;
  /** The current version when settling already read it (an unchanged conditional PUT). */
  current?: Resource;
}

const ORDER: Record<string, number> = { DELETE: 0, POST: 1, PUT: 2, GET: 3, HEAD: 3 };

export async function processBundle(store: FhirStore, bundle: Bundle, o: BundleOptions): Promise<Bundle> {
  if (bundle?.resourceType !== 'Bundle') throw new CarebridgeError('CB_ERR_BAD_REQUEST', 'Body must be a Bundle', { details: [{ expression: 'Bundle.resourceType', diagnostics: 'Body must be a Bundle' }] });
  if (bundle.type === 'batch') return processBatch(store, bundle, o);
  if (bundle.type !== 'transaction') throw new CarebridgeError('CB_ERR_BAD_REQUEST', 'Bundle.type must be transaction or batch', { details: [{ expression: 'Bundle.type', diagnostics: 'Bundle.type must be transaction or batch' }] });
  return store.inTransaction((s, trx) => runTransaction(s, trx, bundle, o));
}

async function runTransaction(store: FhirStore, trx: AnyDb, bundle: Bundle, o: BundleOptions): Promise<Bundle> {
  const plans: Plan[] = (bundle.entry ?? []).map((entry, index) => ({ index, entry, req: parseEntryRequest(entry, index, o.baseUrl), ids: [] }));
  const ordered = [...plans].sort((a, b) => ORDER[a.req.method]! - ORDER[b.req.method]! || a.index - b.index);
  const byFullUrl = new Map<string, string>();
  const byCriteria = new Map<string, string>();
  for (const p of ordered) {
    checkAccess(p, o.access);
    await settleTarget(trx, p, byFullUrl, byCriteria);
  }
  const resolve = referenceResolver(trx, byFullUrl, byCriteria);
  const batchable = batchableUpdates(plans);
  const results = new Array<BundleEntry>(plans.length);
  // Plain creates are prepared one by one and written together (one statement for all of them);
  // so are runs of PUTs by id (one statement locks their rows, two write their new versions).
  const creates: VersionWrite[] = [];
  const updates: Array<{ plan: Plan; resource: Resource }> = [];
  const flush = async (): Promise<void> => {
    if (creates.length) await writeVersions(trx, creates.splice(0));
    if (updates.length) await runUpdates(trx, updates.splice(0), results, o);
  };
  for (const p of ordered) {
    try {
      if ((p.req.method === 'POST' && !p.existing) || p.fresh) {
        const resource = await rewriteReferences({ ...p.entry.resource!, id: p.ids[0] }, resolve);
        validateResource(resource);
        const prepared = prepareNew(resource, { source: o.source }, p.ids[0]!);
        creates.push(prepared.write);
        results[p.index] = writtenEntry(prepared.resource, 201, o.baseUrl);
        continue;
      }
      if (batchable.has(p)) {
        const resource = await rewriteReferences({ ...p.entry.resource!, id: p.ids[0] }, resolve);
        validateResource(resource);
        updates.push({ plan: p, resource });
        continue;
      }
    } catch (err) {
      throw atEntry(err, p.index);
    }
    await flush();
    try {
      results[p.index] = await runEntry(store, trx, p, resolve, o);
    } catch (err) {
      throw atEntry(err, p.index);
    }
  }
  await flush();
  return { resourceType: 'Bundle', type: 'transaction-response', entry: results };
}

/**
 * PUTs by id whose target no other entry of the bundle touches: they can be locked and written
 * together without changing what any entry sees. The rest (conditional PUTs, an id twice) run
 * one by one as before.
 */
function batchableUpdates(plans: readonly Plan[]): Set<Plan> {
  const uses = new Map<string, number>();
  for (const p of plans) for (const id of p.ids) uses.set(`${p.req.type}/${id}`, (uses.get(`${p.req.type}/${id}`) ?? 0) + 1);
  return new Set(plans.filter((p) => p.req.method === 'PUT' && p.req.id && !p.req.query && !p.existing && uses.get(`${p.req.type}/${p.ids[0]}`) === 1));
}

async function runUpdates(trx: AnyDb, updates: ReadonlyArray<{ plan: Plan; resource: Resource }>, results: BundleEntry[], o: BundleOptions): Promise<void> {
  const written = await upsertManyById(
    trx,
    updates.map(({ plan, resource }) => ({ resource, options: { source: o.source, ifMatch: plan.req.ifMatch } })),
    (err, n) => atEntry(err, updates[n]!.plan.index),
  );
  written.forEach((w, n) => {
    results[updates[n]!.plan.index] = writtenEntry(w.resource, w.created ? 201 : 200, o.baseUrl);
  });
}

function checkAccess(p: Plan, access: AccessPolicy | undefined): void {
  const type = p.req.type ?? p.entry.resource?.resourceType ?? '';
  const interaction = p.req.method === 'POST' ? 'create' : p.req.method === 'PUT' ? 'update' : p.req.method === 'DELETE' ? 'delete' : undefined;
  if (interaction) assertCan(access, interaction, type, p.entry.resource);
}

/** Decides which id each entry writes (locking conditional criteria until commit). */
async function settleTarget(trx: AnyDb, p: Plan, byFullUrl: Map<string, string>, byCriteria: Map<string, string>): Promise<void> {
  const { req, entry, index } = p;
  if (req.method === 'GET' || req.method === 'HEAD') return;
  if (!req.type) throw entryError(index, 'request.url needs a resource type', 'request.url');
  if (req.method === 'POST' || req.method === 'PUT') {
    const r = entry.resource;
    if (!r || r.resourceType !== req.type) throw entryError(index, `resource must be a ${req.type}`, 'resource');
    if (req.method === 'PUT' && req.id && r.id && r.id !== req.id) throw entryError(index, 'resource.id differs from request.url', 'resource.id');
  }
  const criteria = req.method === 'POST' ? req.ifNoneExist : req.id ? undefined : req.query;
  if (req.method === 'PUT' && !req.id && !req.query) throw entryError(index, 'PUT needs Type/id or Type?criteria', 'request.url');
  if (criteria) {
    const c = parseConditional(criteria, req.type);
    const unchanged = req.method === 'PUT' && !req.ifMatch ? await unchangedMatch(trx, c, entry.resource!) : undefined;
    const ids = unchanged ? [unchanged.id] : await lockAndMatch(trx, c);
    if (ids.length > 1 && req.method !== 'DELETE') throw multiple(c, ids.length);
    p.ids = ids.length ? ids : req.method === 'DELETE' ? [] : [entry.resource?.id && req.method === 'PUT' ? entry.resource.id : newResourceId()];
    p.existing = (req.method === 'POST' && ids.length === 1) || unchanged !== undefined;
    p.current = unchanged?.content;
    p.fresh = req.method === 'PUT' && ids.length === 0 && !entry.resource?.id && !req.ifMatch;
    if (req.method !== 'DELETE') byCriteria.set(`${c.type}?${c.query}`, p.ids[0]!);
  } else {
    p.ids = [req.method === 'POST' ? newResourceId() : req.id!];
  }
  if (entry.fullUrl && req.method !== 'DELETE') {
    if (byFullUrl.has(entry.fullUrl)) throw entryError(index, 'fullUrl appears twice in the bundle', 'fullUrl');
    byFullUrl.set(entry.fullUrl, `${req.type}/${p.ids[0]}`);
  }
}

function referenceResolver(trx: AnyDb, byFullUrl: Map<string, string>, byCriteria: Map<string, string>) {
  return async (reference: string): Promise<string | undefined> => {
    const local = byFullUrl.get(reference);
    if (local) return local;
    if (!needsResolution(reference)) return undefined;
    if (reference.startsWith('urn:')) {
      throw new CarebridgeError('CB_ERR_FHIR_REFERENCE_UNRESOLVED', `Reference ${reference} names no entry of this bundle`);
    }
    const c = parseConditional(reference);
    const ids = await matchesQuery(trx, c.type, c.query);
    if (ids.length > 1) throw multiple(c, ids.length);
    const id = ids[0] ?? byCriteria.get(`${c.type}?${c.query}`);
    if (!id) throw new CarebridgeError('CB_ERR_FHIR_REFERENCE_UNRESOLVED', `Conditional reference ${c.type}?${c.query} matches nothing`);
    return `${c.type}/${id}`;
  };
}

async function runEntry(store: FhirStore, trx: AnyDb, p: Plan, resolve: (ref: string) => Promise<string | undefined>, o: BundleOptions): Promise<BundleEntry> {
  const { req } = p;
  const write: WriteOptions = { source: o.source, ifMatch: req.ifMatch };
  if (req.method === 'GET' || req.method === 'HEAD') return getEntry(store, req, p.index, o.baseUrl, o.access);
  if (req.method === 'DELETE') {
    for (const id of p.ids) await deleteById(trx, req.type!, id, write);
    return { response: { status: '204 No Content' } };
  }
  const id = p.ids[0]!;
  if (p.existing) {
    const current = p.current ?? (await readCurrent<Resource>(trx, req.type!, id, 'throw'));
    return writtenEntry(current!, 200, o.baseUrl);
  }
  const resource = await rewriteReferences({ ...p.entry.resource!, id }, resolve);
  validateResource(resource);
  const result = await upsertById(trx, resource, write);
  return writtenEntry(result.resource, result.created ? 201 : 200, o.baseUrl);
}

/** Prefixes an entry's failure with its position, keeping code and element paths. */
function atEntry(err: unknown, index: number): CarebridgeError {
  const e = normalizeError(err);
  if (e.code === 'CB_ERR_INTERNAL' || e.message.startsWith('Bundle.entry[')) return e;
  return new CarebridgeError(e.code, `Bundle.entry[${index}]: ${e.message}`, {
    cause: e.cause,
    details: e.details.map((d) => ({ ...d, diagnostics: `Bundle.entry[${index}]: ${d.diagnostics}` })),
  });
}
