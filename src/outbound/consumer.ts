/**
 * @module The outbound change-feed consumer: for each committed change, the matching rules' payloads
 * go into the outbox in the same transaction that advances the consumer's cursor (exactly once:
 * a crash before commit re-offers the batch; the idempotency key makes a re-run add nothing).
 */
import type { Resource } from 'fhir/r4.js';
import { sql, type AnyDb } from '../db/index.js';
import type { ChangeFeedEntry, FhirStore } from '../fhir/index.js';
import type { Logger } from '../logging/index.js';
import { enqueueOutbound } from './outbox.js';
import { buildPayload } from './payload/build-payload.js';
import type { OutboundChange } from './payload/payload-context.js';
import { candidateRules, orderingKeyFor, ruleApplies, type RuleMatch } from './rules/rule-matcher.js';
import type { OutboundRuleSet } from './rules/rule-types.js';
import type { OutboxInsert } from './types.js';

export type ConsumeChangeFeed = (db: AnyDb, consumer: string, limit: number, fn: (entries: ChangeFeedEntry[], trx: AnyDb) => Promise<void>) => Promise<number>;

/** Extra producers on the same batch (FHIR Subscriptions add their notifications here). */
export type ChangeHandler = (changes: readonly ChangeFeedEntry[], trx: AnyDb, read: VersionReader) => Promise<OutboxInsert[]>;

export interface VersionReader {
  /** Loads the versions (and their predecessors) of these entries in one query. */
  prefetch(trx: AnyDb, entries: readonly ChangeFeedEntry[]): Promise<void>;
  /** The resource at a version (undefined when purged). */
  version(type: string, id: string, versionId: number): Promise<Resource | undefined>;
  current(reference: string): Promise<Resource | undefined>;
}

export interface OutboundConsumerOptions {
  readonly db: AnyDb;
  readonly logger: Logger;
  readonly rules: () => OutboundRuleSet;
  readonly consume: ConsumeChangeFeed;
  /** A store bound to the consumer's transaction (reads inside it: PGlite has one connection). */
  readonly storeFor: (trx: AnyDb) => FhirStore;
  readonly consumerName?: string;
  readonly batchSize?: number;
  readonly extraHandlers?: readonly ChangeHandler[];
}

/** One batch: returns entries handled and rows enqueued. */
export async function consumeOutboundBatch(o: OutboundConsumerOptions): Promise<{ handled: number; enqueued: number }> {
  let enqueued = 0;
  const handled = await o.consume(o.db, o.consumerName ?? 'outbound', o.batchSize ?? 200, async (entries, trx) => {
    const set = o.rules();
    const read = versionReader(o.storeFor(trx));
    // One query for every version this batch may need, instead of one or two per entry.
    await read.prefetch(trx, entries.filter((e) => candidateRules(set, e.resourceType, e.operation).length > 0 || o.extraHandlers?.length));
    const rows: OutboxInsert[] = [];
    for (const entry of entries) {
      const candidates = candidateRules(set, entry.resourceType, entry.operation);
      if (candidates.length === 0) continue;
      const change = await loadChange(entry, read);
      if (!change) continue;
      for (const m of candidates) {
        try {
          if (!ruleApplies(m, change)) continue;
          const row = await rowFor(m, change, read);
          if (row) rows.push(row);
        } catch (err) {
          // One bad rule or resource must not stall the feed for everyone: keep a dead row to show it.
          const reason = `rule ${m.rule.id} failed: ${(err as Error).message}`;
          o.logger.error({ rule: m.rule.id, resource: `${entry.resourceType}/${entry.id}`, error: (err as Error).message }, 'outbound rule failed for a change');
          rows.push(deadRow(m, change, reason));
        }
      }
    }
    for (const h of o.extraHandlers ?? []) rows.push(...(await h(entries, trx, read)));
    enqueued = rows.length ? await enqueueOutbound(trx, rows) : 0;
  });
  if (enqueued) o.logger.debug({ handled, enqueued }, 'outbound rows enqueued');
  return { handled, enqueued };
}

function versionReader(store: FhirStore): VersionReader {
  const cache = new Map<string, Resource | null>();
  const keyOf = (type: string, id: string, v: number) => `${type}/${id}/${v}`;
  return {
    async prefetch(trx, entries) {
      const wanted = new Map<string, [string, string, number]>();
      for (const e of entries) {
        for (const v of [e.versionId, e.versionId - 1]) if (v >= 1) wanted.set(keyOf(e.resourceType, e.id, v), [e.resourceType, e.id, v]);
      }
      if (wanted.size === 0) return;
      // fhir_resource_history is the store's documented table (CONTRACTS §1); read inside the consumer's transaction.
      const tuples = [...wanted.values()].map(([t, i, v]) => sql`(${t}, ${i}, ${v}::int)`);
      const { rows } = await sql<{ resource_type: string; id: string; version_id: number; deleted: boolean; content: Resource | null }>`
        select resource_type, id, version_id, deleted, content from fhir_resource_history
         where (resource_type, id, version_id) in (${sql.join(tuples)})`.execute(trx);
      for (const r of rows) cache.set(keyOf(r.resource_type, r.id, r.version_id), r.deleted ? null : r.content);
    },
    async version(type, id, versionId) {
      const hit = cache.get(keyOf(type, id, versionId));
      if (hit !== undefined) return hit ?? undefined;
      try {
        const r = await store.vread(type, id, String(versionId));
        return (r as Resource & { meta?: unknown }) ?? undefined;
      } catch {
        return undefined;
      }
    },
    async current(reference) {
      const [type, id] = reference.split('/');
      if (!type || !id) return undefined;
      try {
        return await store.readOrUndefined(type, id);
      } catch {
        return undefined;
      }
    },
  };
}

export async function loadChange(entry: ChangeFeedEntry, read: VersionReader): Promise<OutboundChange | undefined> {
  const previous = entry.versionId > 1 ? await read.version(entry.resourceType, entry.id, entry.versionId - 1) : undefined;
  const resource = entry.operation === 'delete' ? previous : await read.version(entry.resourceType, entry.id, entry.versionId);
  if (!resource) return undefined;
  return {
    seq: entry.seq,
    resourceType: entry.resourceType,
    id: entry.id,
    versionId: entry.versionId,
    operation: entry.operation,
    changedAt: entry.changedAt,
    source: entry.source,
    resource,
    previous,
  };
}

function deadRow(m: RuleMatch, change: OutboundChange, reason: string): OutboxInsert {
  return {
    destination: m.destination.name,
    orderingKey: `${change.resourceType}/${change.id}`,
    idempotencyKey: `${m.rule.id}:${change.resourceType}/${change.id}/_history/${change.versionId}`,
    payload: { kind: 'http', contentType: 'text/plain', body: '' },
    rule: m.rule.id,
    resourceType: change.resourceType,
    resourceId: change.id,
    versionId: change.versionId,
    changeSeq: change.seq,
    committedAt: change.changedAt,
    deadReason: reason,
  };
}

async function rowFor(m: RuleMatch, change: OutboundChange, read: VersionReader): Promise<OutboxInsert | undefined> {
  const key = `${m.rule.id}:${change.resourceType}/${change.id}/_history/${change.versionId}`;
  const payload = await buildPayload({ change, rule: m.rule, key, resolve: (ref) => read.current(ref) });
  if (!payload) return undefined;
  return {
    destination: m.destination.name,
    orderingKey: orderingKeyFor(m.rule, change.resource),
    idempotencyKey: key,
    payload,
    rule: m.rule.id,
    resourceType: change.resourceType,
    resourceId: change.id,
    versionId: change.versionId,
    changeSeq: change.seq,
    committedAt: change.changedAt,
  };
}
