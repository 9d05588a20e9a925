/**
 * Outbound benchmark: two carebridge server processes (WORKERS=on) on one PostgreSQL database,
 * the shipped CRM webhook rule pointed at a local receiver.
 * 1. commit → delivery lag at a steady 200 payments/s (payment posted → CRM received), p50/p99;
 * 2. deliveries/s draining a backlog of payments.
 * Every delivery is checked: each idempotency key arrives exactly once.
 */
import { createServer } from 'node:http';
import type { PaymentNotice } from 'fhir/r4.js';
import { sql } from 'kysely';
import { openDatabase } from '../../src/db/index.js';
import { createFhirStore } from '../../src/fhir/index.js';
import { createLogger } from '../../src/logging/index.js';
import { loadConfig, startServer } from '../../src/server/index.js';
import { problemsOf, spawnReady, stopChild } from './support/processes.js';
import { percentile, type BenchOptions, type BenchResult } from './types.js';


if (process.env.CB_OUTBOUND_BENCH_SERVER === '1') {
  const server = await startServer(loadConfig(process.env), createLogger({ level: 'warn' }));
  process.stdout.write('READY\n');
  process.once('SIGTERM', () => void server.stop().then(() => process.exit(0)));
}

function payment(i: number): PaymentNotice {
  return {
    resourceType: 'PaymentNotice', status: 'active', created: new Date().toISOString(), request: { reference: `Patient/bench-${i % 500}` },
    payment: { display: 'cashier' }, recipient: { reference: `Patient/bench-${i % 500}` }, amount: { value: i, currency: 'EUR' },
  };
}

export async function run(opts: BenchOptions): Promise<BenchResult[]> {
  const arrivals = new Map<string, number>();
  let duplicates = 0;
  const receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const key = String(req.headers['idempotency-key']);
      if (arrivals.has(key)) duplicates++;
      else arrivals.set(key, Date.now());
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const port = (receiver.address() as { port: number }).port;
  const env = {
    DATABASE_URL: opts.databaseUrl, PORT: '0', HOST: '127.0.0.1', MLLP_PORT: '-1', LOG_LEVEL: 'warn', WORKERS: 'on', DATABASE_POOL_SIZE: '8',
    CAREBRIDGE_ADMIN_TOKEN: 'bench-admin-token-0123456789', CRM_WEBHOOK_URL: `http://127.0.0.1:${port}/crm`, CRM_WEBHOOK_SECRET: 'bench-secret-123',
  };
  // One after the other: the first applies the migrations.
  const serverProcess = () => spawnReady({ args: [new URL(import.meta.url).pathname], env: { ...env, CB_OUTBOUND_BENCH_SERVER: '1' }, ready: /READY/ });
  const a = await serverProcess();
  const b = await serverProcess();
  const database = await openDatabase({ url: opts.databaseUrl, poolSize: 8 });
  const store = createFhirStore({ db: database.db, logger: createLogger({ level: 'silent' }) });
  const keyOf = (id: string) => `payment-posted:PaymentNotice/${id}/_history/1`;
  // What a failed run leaves behind, so a failure says where the missing deliveries wait: never
  // queued, pending (retry backoff), in flight (a lease), or dead, and on how many ordering keys.
  const outboxStateOf = async (missing: readonly string[]): Promise<string> => {
    const { rows } = await sql<{ status: string; attempts: number; n: number; chains: number; due_in_s: number | null; error: string | null }>`
      select status, attempts, count(*)::int as n, count(distinct ordering_key)::int as chains,
             round(extract(epoch from min(next_attempt_at) - now()))::int as due_in_s, min(left(last_error, 80)) as error
        from outbound_message where idempotency_key = any(${missing as string[]})
       group by status, attempts order by status, attempts`.execute(database.db);
    const queued = rows.reduce((t, r) => t + r.n, 0);
    return JSON.stringify({ notQueued: missing.length - queued, rows });
  };
  const waitAll = async (keys: readonly string[], ms: number) => {
    const end = Date.now() + ms;
    while (keys.some((k) => !arrivals.has(k))) {
      if (Date.now() > end) {
        const missing = keys.filter((k) => !arrivals.has(k));
        throw new Error(`outbound bench: ${missing.length} of ${keys.length} never arrived; outbox: ${await outboxStateOf(missing)}\nserver A said:\n${problemsOf(a)}\nserver B said:\n${problemsOf(b)}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  try {
    // 1. Steady 200/s: commit time → arrival time.
    const rate = 200;
    const seconds = opts.quick ? 5 : 30;
    const commits = new Map<string, number>();
    const started = Date.now();
    const writes: Promise<void>[] = [];
    for (let i = 0; i < rate * seconds; i++) {
      const due = started + (i * 1000) / rate;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      writes.push(store.create(payment(i)).then(({ resource }) => void commits.set(keyOf(resource.id!), Date.now())));
    }
    await Promise.all(writes);
    await waitAll([...commits.keys()], 60_000);
    const lags = [...commits].map(([k, t]) => Math.max(0, arrivals.get(k)! - t));
    // 2. Backlog drain: deliveries per second.
    const n = opts.quick ? 2_000 : 20_000;
    const keys: string[] = [];
    for (let i = 0; i < n; i += 50) {
      const batch = await Promise.all(Array.from({ length: Math.min(50, n - i) }, (_, j) => store.create(payment(i + j))));
      keys.push(...batch.map((r) => keyOf(r.resource.id!)));
    }
    const drainStart = Math.min(...keys.map((k) => arrivals.get(k) ?? Number.POSITIVE_INFINITY), Date.now());
    await waitAll(keys, 300_000);
    const drainEnd = Math.max(...keys.map((k) => arrivals.get(k)!));
    const perSecond = n / Math.max(0.001, (drainEnd - drainStart) / 1000);
    if (duplicates > 0) throw new Error(`outbound bench: ${duplicates} idempotency keys arrived twice`);
    return [
      { name: 'outbound commit→delivery lag p50 (200 msg/s, 2 processes)', value: percentile(lags, 50), unit: 'ms' },
      { name: 'outbound commit→delivery lag p99 (200 msg/s, 2 processes)', value: percentile(lags, 99), unit: 'ms', target: '≤ 1000 ms' },
      { name: 'outbound deliveries/s (backlog, 2 processes, webhook)', value: Math.round(perSecond), unit: 'msg/s' },
    ];
  } finally {
    await database.close();
    await Promise.all([stopChild(a), stopChild(b)]);
    await new Promise<void>((r) => receiver.close(() => r()));
  }
}
