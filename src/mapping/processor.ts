/**
 * @module The intake's MessageProcessor (CONTRACTS §5/§6): map with the serving mapping set and
 * write the transaction Bundle through the store, with the message's origin as the write source.
 * A40 merges run in the same database transaction, after the bundle.
 */
import type { Bundle } from 'fhir/r4.js';
import { CarebridgeError, isCarebridgeError } from '../errors/index.js';
import { createFhirStore, type FhirStore, type WriteOptions } from '../fhir/index.js';
import type { InboxMessage, MessageProcessor, ProcessContext, ProcessOutcome } from '../hl7v2/index.js';
import type { Logger } from '../logging/index.js';
import type { Metrics } from '../metrics/index.js';
import type { MappableMessage } from './hl7-shape.js';
import { applyMerge } from './merge.js';
import type { MappingRegistry } from './registry.js';

export interface MappingProcessorDeps {
  readonly store: FhirStore;
  readonly registry: MappingRegistry;
  readonly logger: Logger;
  readonly metrics?: Metrics;
}

export function createMappingProcessor(deps: MappingProcessorDeps): MessageProcessor {
  return {
    async process(message, inbox, context?: ProcessContext): Promise<ProcessOutcome> {
      // Write in the intake's transaction, so the resources and the "processed" mark commit together.
      const store = context ? createFhirStore({ db: context.db, logger: deps.logger, metrics: deps.metrics }) : deps.store;
      return processMessage({ ...deps, store }, message as unknown as MappableMessage, inbox);
    },
  };
}

async function processMessage(deps: MappingProcessorDeps, message: MappableMessage, inbox: InboxMessage): Promise<ProcessOutcome> {
  const set = deps.registry.current();
  const h = message.header;
  if (!set.mappingFor(h.messageType, h.triggerEvent)) {
    return { status: 'unmapped', reason: `no mapping for ${h.messageType}^${h.triggerEvent}` };
  }
  const started = process.hrtime.bigint();
  const result = set.mapMessage(message);
  recordDuration(deps.metrics, result.mappingId, started);
  const options: WriteOptions = {
    source: { kind: 'hl7v2', sender: inbox.sender, controlId: inbox.controlId, mapping: `${result.mappingId}@${result.mappingHash}` },
  };
  try {
    const response = await deps.store.inTransaction(async (store) => {
      const r = await store.transaction(result.bundle, options);
      for (const m of result.merges) await applyMerge(store, m, options);
      return r;
    });
    deps.logger.debug({ controlId: inbox.controlId, mapping: result.mappingId, entries: result.bundle.entry?.length ?? 0 }, 'message mapped');
    return { status: 'processed', resources: writtenResources(response) };
  } catch (err) {
    if (isCarebridgeError(err)) throw err;
    throw new CarebridgeError('CB_ERR_MAP_FAILED', `writing the mapped bundle failed for control id ${inbox.controlId}`, { cause: err });
  }
}

/** `Patient/123/_history/2` locations of a transaction-response. */
function writtenResources(response: Bundle): Array<{ resourceType: string; id: string; versionId?: string }> {
  const out: Array<{ resourceType: string; id: string; versionId?: string }> = [];
  for (const e of response.entry ?? []) {
    const loc = e.response?.location ?? (e.resource ? `${e.resource.resourceType}/${e.resource.id}` : undefined);
    const m = loc ? /([A-Za-z]+)\/([^/]+)(?:\/_history\/([^/]+))?$/.exec(loc) : null;
    if (m) out.push({ resourceType: m[1]!, id: m[2]!, ...(m[3] ? { versionId: m[3] } : {}) });
  }
  return out;
}

function recordDuration(metrics: Metrics | undefined, mapping: string, started: bigint): void {
  metrics?.mappingDuration.observe({ mapping }, Number(process.hrtime.bigint() - started) / 1e9);
}
