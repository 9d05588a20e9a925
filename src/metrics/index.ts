/**
 * @module metrics — the Prometheus metrics every room records into.
 *
 * One registry per runtime (not prom-client's global one), so two runtimes in one test process do
 * not collide. Rooms take `metrics?: Metrics` and record only ids-free labels (sender, type, destination).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export interface Metrics {
  readonly registry: Registry;
  readonly messagesReceived: Counter<'sender' | 'type'>;
  readonly messagesProcessed: Counter<'sender' | 'type' | 'status'>;
  readonly ackSent: Counter<'code'>;
  readonly ackLatency: Histogram<'transport'>;
  readonly mappingDuration: Histogram<'mapping'>;
  readonly storeWriteLatency: Histogram<'operation'>;
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly httpDuration: Histogram<'method' | 'route'>;
  readonly outboundAttempts: Counter<'destination' | 'result'>;
  readonly schedulerLag: Histogram;
  /** Gauges computed at scrape time from the database; rooms register their collectors. */
  gauge(name: string, help: string, labelNames: readonly string[], collect: (set: (labels: Record<string, string>, value: number) => void) => Promise<void>): void;
}

export function createMetrics(options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'carebridge_process_' });
  const r = [registry];
  return {
    registry,
    messagesReceived: new Counter({ name: 'carebridge_hl7_messages_received_total', help: 'HL7 v2 messages received', labelNames: ['sender', 'type'], registers: r }),
    messagesProcessed: new Counter({ name: 'carebridge_hl7_messages_processed_total', help: 'HL7 v2 messages processed, by outcome', labelNames: ['sender', 'type', 'status'], registers: r }),
    ackSent: new Counter({ name: 'carebridge_hl7_acks_total', help: 'ACKs sent by code', labelNames: ['code'], registers: r }),
    ackLatency: new Histogram({ name: 'carebridge_hl7_ack_latency_seconds', help: 'Frame received → ACK written', labelNames: ['transport'], buckets: LATENCY_BUCKETS, registers: r }),
    mappingDuration: new Histogram({ name: 'carebridge_mapping_duration_seconds', help: 'v2 → FHIR mapping time', labelNames: ['mapping'], buckets: LATENCY_BUCKETS, registers: r }),
    storeWriteLatency: new Histogram({ name: 'carebridge_store_write_seconds', help: 'FHIR store write transaction time', labelNames: ['operation'], buckets: LATENCY_BUCKETS, registers: r }),
    httpRequests: new Counter({ name: 'carebridge_http_requests_total', help: 'HTTP requests', labelNames: ['method', 'route', 'status'], registers: r }),
    httpDuration: new Histogram({ name: 'carebridge_http_request_duration_seconds', help: 'HTTP request duration', labelNames: ['method', 'route'], buckets: LATENCY_BUCKETS, registers: r }),
    outboundAttempts: new Counter({ name: 'carebridge_outbound_attempts_total', help: 'Outbound delivery attempts', labelNames: ['destination', 'result'], registers: r }),
    schedulerLag: new Histogram({ name: 'carebridge_scheduler_lag_seconds', help: 'Care-plan activity due time → sent', buckets: [1, 5, 15, 30, 60, 120, 300, 900, 3600], registers: r }),
    gauge(name, help, labelNames, collect) {
      new Gauge({
        name,
        help,
        labelNames: [...labelNames],
        registers: r,
        async collect() {
          this.reset();
          await collect((labels, value) => this.set(labels, value));
        },
      });
    },
  };
}
