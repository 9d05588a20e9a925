/**
 * @module The outbound room assembled: rules (hot reload) → change-feed consumer → outbox →
 * delivery worker, plus what the admin API and CLI need. Built once by the composition root.
 *
 * ```ts
 * const outbound = await createOutboundService({ db, store, logger, rulesDir: 'mappings/outbound', vars });
 * outbound.start();   // consumer + delivery workers (only where config.workers)
 * await outbound.stop();
 * ```
 */
import type { AnyDb } from '../db/index.js';
import { consumeChangeFeed, createFhirStore, matchesQuery, type FhirStore } from '../fhir/index.js';
import type { Logger } from '../logging/index.js';
import type { Metrics } from '../metrics/index.js';
import type { Destination } from './channel.js';
import { destinationFromSpec } from './channel-factory.js';
import { systemClock, type OutboundClock } from './clock.js';
import { consumeOutboundBatch, type ChangeHandler } from './consumer.js';
import { createDeliveryWorker, type DeliveryWorker, type DeliveryWorkerOptions } from './delivery-worker.js';
import { admission, readDestinationStates } from './destination-state.js';
import { countByDestination } from './outbox.js';
import { createRuleRegistry, type RuleRegistry } from './rules/rule-registry.js';
import type { RuleVariables } from './rules/rule-loader.js';
import type { DestinationSpec } from './rules/rule-types.js';
import type { DestinationSettings } from './destinations.js';
import { createSubscriptionService, type SubscriptionService } from './subscriptions/subscription-service.js';

export interface OutboundServiceOptions {
  readonly db: AnyDb;
  readonly store: FhirStore;
  readonly logger: Logger;
  readonly metrics?: Metrics;
  /** mappings/outbound */
  readonly rulesDir: string;
  /** `${VAR}` values for rule files (the environment, with CRM_WEBHOOK_URL/SECRET from config). */
  readonly vars: RuleVariables;
  readonly clock?: OutboundClock;
  /** Change-feed and idle delivery poll interval (default 100 ms: p99 lag well under a second). */
  readonly pollMs?: number;
  readonly watchRules?: boolean;
  /** Extra destinations not from rule files (FHIR Subscriptions register theirs). */
  readonly extraDestinations?: () => readonly Destination[];
  readonly extraHandlers?: readonly ChangeHandler[];
  readonly onSettled?: DeliveryWorkerOptions['onSettled'];
  /** FHIR base URL for Subscription notifications (default urn:carebridge:fhir). */
  readonly fhirBaseUrl?: string;
  /** Delivery limits for Subscription endpoints (tests shorten them). */
  readonly subscriptionSettings?: DestinationSettings;
  /** Consecutive failures before a Subscription goes to status error (default 3). */
  readonly subscriptionErrorAfter?: number;
}

export interface DestinationStatus {
  readonly name: string;
  readonly channel: string;
  readonly enabled: boolean;
  readonly disabledReason?: string;
  readonly paused: boolean;
  readonly circuit: 'closed' | 'open' | 'probe' | 'paused';
  readonly pending: number;
  readonly inFlight: number;
  readonly failed: number;
  readonly deadLettered: number;
  readonly lastError?: string;
  readonly lastErrorAt?: string;
  readonly lastSuccessAt?: string;
}

export interface OutboundService {
  readonly rules: RuleRegistry;
  readonly worker: DeliveryWorker;
  readonly subscriptions: SubscriptionService;
  /** Base URL Subscription notifications refer to. */
  readonly fhirBaseUrl: string;
  destinations(): readonly Destination[];
  status(): Promise<DestinationStatus[]>;
  /** One consumer pass over the change feed (tests drive it by hand); returns rows enqueued. */
  pump(): Promise<number>;
  start(): void;
  stop(): Promise<void>;
}

export async function createOutboundService(o: OutboundServiceOptions): Promise<OutboundService> {
  const clock = o.clock ?? systemClock;
  const rules = await createRuleRegistry({ dir: o.rulesDir, vars: o.vars, logger: o.logger, watch: o.watchRules });
  let built = new Map<string, { spec: DestinationSpec; destination: Destination }>();
  const rebuild = () => {
    const next = new Map<string, { spec: DestinationSpec; destination: Destination }>();
    for (const spec of rules.current().destinations) {
      if (!spec.enabled) continue;
      const old = built.get(spec.name);
      next.set(spec.name, old && JSON.stringify(old.spec) === JSON.stringify(spec) ? old : { spec, destination: destinationFromSpec(spec) });
    }
    for (const [name, old] of built) if (next.get(name) !== old) void old.destination.channel.close?.();
    built = next;
  };
  rebuild();
  rules.onChange(rebuild);
  let wakeWorker = () => undefined as void;
  const subscriptions = createSubscriptionService({
    db: o.db, store: o.store, logger: o.logger, clock, baseUrl: o.fhirBaseUrl ?? 'urn:carebridge:fhir',
    settings: o.subscriptionSettings, errorAfter: o.subscriptionErrorAfter, matches: matchesQuery, wake: () => wakeWorker(),
  });
  await subscriptions.refresh();
  const destinations = () => [...[...built.values()].map((b) => b.destination), ...subscriptions.destinations(), ...(o.extraDestinations?.() ?? [])];
  const worker = createDeliveryWorker({
    db: o.db, logger: o.logger, metrics: o.metrics, clock, destinations, pollMs: o.pollMs ?? 100,
    onSettled: async (m, outcome, settlement, at) => {
      await subscriptions.onSettled(m, outcome, settlement);
      await o.onSettled?.(m, outcome, settlement, at);
    },
  });
  wakeWorker = () => worker.wake();

  const pumpOnce = async () => {
    const r = await consumeOutboundBatch({
      db: o.db,
      logger: o.logger,
      rules: () => rules.current(),
      consume: consumeChangeFeed,
      storeFor: (trx) => createFhirStore({ db: trx, logger: o.logger, validate: false }),
      extraHandlers: [subscriptions.handler, ...(o.extraHandlers ?? [])],
    });
    if (r.enqueued) worker.wake();
    return r;
  };
  const pump = async () => (await pumpOnce()).enqueued;

  let running = false;
  let loop: Promise<void> | undefined;
  let heartbeatTimer: NodeJS.Timeout | undefined;
  let wake = new AbortController();
  const consumeLoop = async () => {
    while (running) {
      let handled = 0;
      try {
        handled = (await pumpOnce()).handled;
      } catch (err) {
        o.logger.error({ err }, 'outbound change-feed consumer failed; batch will be retried');
      }
      if (!running) break;
      if (handled === 0) {
        await clock.sleep(o.pollMs ?? 100, wake.signal);
        if (wake.signal.aborted) wake = new AbortController();
      }
    }
  };

  if (o.metrics) {
    o.metrics.gauge('carebridge_outbound_outbox_depth', 'Outbox rows not yet delivered, by destination and state', ['destination', 'state'], async (set) => {
      for (const [destination, c] of await countByDestination(o.db)) {
        set({ destination, state: 'pending' }, c.pending);
        set({ destination, state: 'in_flight' }, c.inFlight);
        set({ destination, state: 'dead' }, c.deadLettered);
      }
    });
  }

  return {
    rules,
    worker,
    subscriptions,
    fhirBaseUrl: o.fhirBaseUrl ?? 'urn:carebridge:fhir',
    destinations,
    pump,
    async status() {
      const [counts, states] = await Promise.all([countByDestination(o.db), readDestinationStates(o.db)]);
      const specs = rules.current().destinations;
      const names = new Set([...specs.map((s) => s.name), ...destinations().map((d) => d.name), ...counts.keys()]);
      const now = clock.now();
      return [...names].sort().map((name): DestinationStatus => {
        const spec = specs.find((s) => s.name === name);
        const d = destinations().find((x) => x.name === name);
        const st = states.get(name);
        const c = counts.get(name) ?? { pending: 0, inFlight: 0, failed: 0, deadLettered: 0 };
        return {
          name,
          channel: spec?.channel ?? d?.channel.kind ?? 'unknown',
          enabled: spec ? spec.enabled : Boolean(d),
          disabledReason: spec?.disabledReason ?? (d ? undefined : 'no longer configured'),
          paused: st?.paused ?? false,
          circuit: d ? admission(st, d.circuit, now) : st?.paused ? 'paused' : 'closed',
          ...c,
          lastError: st?.lastError,
          lastErrorAt: st?.lastErrorAt?.toISOString(),
          lastSuccessAt: st?.lastSuccessAt?.toISOString(),
        };
      });
    },
    start() {
      if (running) return;
      running = true;
      loop = consumeLoop();
      worker.start();
      // Subscription list refresh, classic activation and heartbeats: once a second.
      heartbeatTimer = setInterval(() => void subscriptions.heartbeat().catch((err: unknown) => o.logger.error({ err }, 'subscription heartbeat failed')), 1000);
    },
    async stop() {
      running = false;
      clearInterval(heartbeatTimer);
      wake.abort();
      await loop;
      await worker.stop();
      rules.close();
      await Promise.all(destinations().map((d) => d.channel.close?.()));
    },
  };
}
