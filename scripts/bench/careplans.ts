/**
 * Care-plan scheduler benchmark: N due activities (100,000; 5,000 with --quick) swept by 2 separate
 * processes sharing one PostgreSQL database. Reports the time until all are sent, throughput, and the
 * scheduler lag (due time → sent) p50/p99, for activities alone and for activities whose
 * CommunicationRequests are in the store (completed by each send). Also exports the seeding helpers the exactly-once test uses.
 *
 * Worker mode (a child process of run()): CB_CAREPLANS_BENCH_WORKER=1 DATABASE_URL=… PLANS_DIR=…
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BundleEntry, Consent, Patient } from 'fhir/r4.js';
import { sql } from 'kysely';
import pg from 'pg';
import { createConsentService } from '../../src/auth/index.js';
import { careplanMigrations, createScheduler, loadPlanRegistry, systemClock, type CareplanStore, type Clock } from '../../src/careplans/index.js';
import { openDatabase, runMigrations, type AnyDb } from '../../src/db/index.js';
import { createFhirStore, fhirMigrations, searchMigrations, type FhirStore } from '../../src/fhir/index.js';
import { createLogger } from '../../src/logging/index.js';
import { percentile, type BenchOptions, type BenchResult } from './types.js';

const logger = createLogger({ level: 'silent' });

/** A plan file without quiet hours, so the run does not depend on the time of day. */
export const BENCH_PLAN = `id: bench-follow-up
title: Bench follow-up
trigger:
  resourceType: Encounter
  condition: status = 'finished'
  subject: subject
  anchor: period.end
channels:
  allowed: [sms, email, app]
activities:
  - id: ping
    offset: +1d
    kind: message
    purpose: bench
    templates:
      en: "Hello {{patient.name}}, how are you?"
`;

export function benchPlansDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cb-bench-plans-'));
  writeFileSync(join(dir, 'bench.yaml'), BENCH_PLAN);
  return dir;
}

export const careplanBenchMigrations = () => [...fhirMigrations, ...searchMigrations, ...careplanMigrations];

/** Patients (with an opt-in Consent) and `n` pending activities due at `dueAt`, spread over them. */
/**
 * `withRequests`: each activity also gets its active CommunicationRequest in the store (as the
 * planner writes them), so the sweep pays for marking it completed, as it does in production.
 */
export async function seedDueActivities(db: AnyDb, store: FhirStore, n: number, o: { patients: number; dueAt: Date; planId?: string; activityKey?: string; withRequests?: boolean }): Promise<void> {
  const patients: Array<Patient | Consent> = [];
  for (let i = 0; i < o.patients; i++) {
    patients.push({
      resourceType: 'Patient', id: `bp-${i}`, identifier: [{ system: 'urn:bench', value: `bp-${i}` }],
      name: [{ family: 'Bench', given: [`P${i}`] }],
      telecom: [{ system: 'phone', use: 'mobile', value: `+86138${String(i).padStart(8, '0')}`, rank: 1 }],
      communication: [{ language: { coding: [{ system: 'urn:ietf:bcp:47', code: 'en' }] }, preferred: true }],
    });
    patients.push({
      resourceType: 'Consent', id: `bc-${i}`, status: 'active',
      scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }] },
      category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0' }] }],
      patient: { reference: `Patient/bp-${i}` }, dateTime: '2020-01-01T00:00:00Z', provision: { type: 'permit' },
    });
  }
  for (let i = 0; i < patients.length; i += 200) {
    await store.inTransaction(async (s) => {
      for (const r of patients.slice(i, i + 200)) await s.update(r, { source: { kind: 'system' } });
    });
  }
  if (o.withRequests) {
    for (let i = 1; i <= n; i += 500) {
      const ids = Array.from({ length: Math.min(500, n - i + 1) }, (_v, k) => i + k);
      const entry = ids.map((g): BundleEntry => ({
        request: { method: 'POST', url: 'CommunicationRequest' },
        resource: { resourceType: 'CommunicationRequest', status: 'active', subject: { reference: `Patient/bp-${g % o.patients}` }, occurrenceDateTime: o.dueAt.toISOString() },
      }));
      const response = await store.transaction({ resourceType: 'Bundle', type: 'transaction', entry }, { source: { kind: 'careplan' } });
      const requestIds = (response.entry ?? []).map((e) => e.response!.location!.split('/')[1]!);
      await sql`
        insert into careplan_activity (id, careplan_id, plan_id, activity_key, kind, patient_ref, request_type, request_id, due_at, run_at, status, attempts, updated_at)
        select 'ba-' || g, 'cp-bench-' || (g % 1000), ${o.planId ?? 'bench-follow-up'}, ${o.activityKey ?? 'ping'}, 'message',
               'Patient/bp-' || (g % ${o.patients}), 'CommunicationRequest', r, ${o.dueAt}, ${o.dueAt}, 'pending', 0, now()
        from unnest(${ids}::int[], ${requestIds}::text[]) as x(g, r)`.execute(db);
    }
    return;
  }
  await sql`
    insert into careplan_activity (id, careplan_id, plan_id, activity_key, kind, patient_ref, request_type, request_id, due_at, run_at, status, attempts, updated_at)
    select 'ba-' || g, 'cp-bench-' || (g % 1000), ${o.planId ?? 'bench-follow-up'}, ${o.activityKey ?? 'ping'}, 'message',
           'Patient/bp-' || (g % ${o.patients}), 'CommunicationRequest', 'ba-' || g, ${o.dueAt}, ${o.dueAt}, 'pending', 0, now()
    from generate_series(1, ${n}) g`.execute(db);
}

/** One scheduler on its own pool: sweeps until nothing is due, returns what it did. */
export async function sweepAll(url: string, plansDir: string, clock: Clock = systemClock, poolSize = 10) {
  const database = await openDatabase({ url, poolSize });
  const store = createFhirStore({ db: database.db, logger });
  const registry = await loadPlanRegistry(plansDir, { logger, defaultTimeZone: 'UTC', watch: false });
  const consent = createConsentService({ store });
  const scheduler = createScheduler({
    db: database.db, store: store as unknown as CareplanStore, registry, logger, clock, batchSize: 400, concurrency: 6, writers: 4,
    mayContact: (p, purpose, ch, at) => consent.mayContact(p, purpose, ch, at),
    mayContactMany: (queries, at) => consent.mayContactMany(queries, at),
  });
  try {
    let total = 0;
    for (;;) {
      const r = await scheduler.sweep();
      total += r.sent + r.notDone + r.tasks;
      if (r.claimed === 0) break;
    }
    // CPU seconds of this process (user + system): throughput per CPU second survives a loaded machine.
    const cpu = process.cpuUsage();
    return { instance: scheduler.instanceId, handled: total, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
  } finally {
    registry.close();
    await database.close();
  }
}

if (process.env.CB_CAREPLANS_BENCH_WORKER === '1') {
  const r = await sweepAll(process.env.DATABASE_URL!, process.env.PLANS_DIR!);
  process.stdout.write(`${JSON.stringify(r)}\n`);
  process.exit(0);
}

function worker(url: string, plansDir: string): Promise<{ handled: number; cpuSeconds: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', new URL(import.meta.url).pathname], {
      env: { ...process.env, CB_CAREPLANS_BENCH_WORKER: '1', DATABASE_URL: url, PLANS_DIR: plansDir },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop()!) as { handled: number; cpuSeconds: number }) : reject(new Error(`bench worker exited ${code}`))));
  });
}

/**
 * Both shapes of the backlog, each on its own database: activities alone, and activities whose
 * CommunicationRequests are in the store (as the planner makes them), so each send also completes
 * its request. CB_CAREPLANS_BENCH_REQUESTS=0|1 runs only one of them (for iteration).
 */
export async function run(opts: BenchOptions): Promise<BenchResult[]> {
  const only = process.env.CB_CAREPLANS_BENCH_REQUESTS;
  const results: BenchResult[] = [];
  if (only !== '1') results.push(...(await sweepBacklog(opts.databaseUrl, opts.quick, false)));
  if (only !== '0') results.push(...(await withSiblingDatabase(opts.databaseUrl, (url) => sweepBacklog(url, opts.quick, true))));
  return results;
}

async function withSiblingDatabase<T>(databaseUrl: string, fn: (url: string) => Promise<T>): Promise<T> {
  const url = new URL(databaseUrl);
  const name = `${url.pathname.slice(1)}_req`;
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  url.pathname = `/${name}`;
  try {
    return await fn(url.toString());
  } finally {
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}

async function sweepBacklog(databaseUrl: string, quick: boolean, withRequests: boolean): Promise<BenchResult[]> {
  // CB_CAREPLANS_BENCH_N picks another size (e.g. 20000) for iteration between quick and full.
  const n = Number(process.env.CB_CAREPLANS_BENCH_N) || (quick ? 5_000 : 100_000);
  const database = await openDatabase({ url: databaseUrl, poolSize: 4 });
  await runMigrations(database.db, careplanBenchMigrations());
  const store = createFhirStore({ db: database.db, logger });
  const plansDir = benchPlansDir();
  const dueAt = new Date();
  await seedDueActivities(database.db, store, n, { patients: 1_000, dueAt, withRequests });
  // The whole backlog counts as due the moment the two processes start (t0), so the lag is the
  // sweep's own, not the seeding's: lag = sent − t0.
  await sql`update careplan_activity set due_at = now(), run_at = now()`.execute(database.db);
  // What autovacuum does after a bulk change on a running server (this machine's PostgreSQL runs
  // with autovacuum off, conf.d/90-ci.conf): without it the sweep works on tables with no
  // statistics and 100,000 dead row versions left by the update above. The sweep's statements were
  // also made to plan well without statistics (12268d1); CB_CAREPLANS_BENCH_ANALYZE=0 measures that case.
  if (process.env.CB_CAREPLANS_BENCH_ANALYZE !== '0') await sql`vacuum analyze`.execute(database.db);
  const started = Date.now();
  const [a, b] = await Promise.all([worker(databaseUrl, plansDir), worker(databaseUrl, plansDir)]).finally(() =>
    rmSync(plansDir, { recursive: true, force: true }));
  const seconds = (Date.now() - started) / 1000;
  const { rows } = await sql<{ lag: number; status: string }>`
    select extract(epoch from done_at)::float8 - ${started / 1000}::float8 as lag, status from careplan_activity`.execute(database.db);
  const { rows: comm } = await sql<{ n: number; maxv: number }>`
    select count(*)::int as n, max(version_id)::int as maxv from fhir_resource where resource_type = 'Communication'`.execute(database.db);
  const { rows: done } = await sql<{ n: number }>`
    select count(*)::int as n from fhir_resource where resource_type = 'CommunicationRequest' and content->>'status' = 'completed'`.execute(database.db);
  await database.close();
  if (withRequests && done[0]!.n !== n) throw new Error(`careplans bench: expected ${n} CommunicationRequests completed, got ${done[0]!.n}`);
  const sent = rows.filter((r) => r.status === 'sent').length;
  if (sent !== n || comm[0]!.n !== n || comm[0]!.maxv !== 1 || a.handled + b.handled !== n) {
    throw new Error(`careplans bench: expected ${n} sent exactly once, got rows=${sent} communications=${comm[0]!.n} maxVersion=${comm[0]!.maxv} handled=${a.handled}+${b.handled}`);
  }
  const lags = rows.map((r) => r.lag);
  return [
    { name: `careplans: ${n.toLocaleString('en')} due activities swept by 2 processes${withRequests ? ' (requests completed too)' : ''}`, value: Math.round(seconds * 10) / 10, unit: 's', target: '≤ 60 s (100,000)' },
    { name: `careplans: sweep throughput (2 processes)${withRequests ? ' (requests completed too)' : ''}`, value: Math.round(n / seconds), unit: 'activities/s' },
    { name: `careplans: scheduler lag p50 (backlog all due at t0)${withRequests ? ' (requests completed too)' : ''}`, value: Math.round(percentile(lags, 50) * 10) / 10, unit: 's' },
    { name: `careplans: scheduler lag p99 (backlog all due at t0)${withRequests ? ' (requests completed too)' : ''}`, value: Math.round(percentile(lags, 99) * 10) / 10, unit: 's' },
    { name: `careplans: split between the 2 processes${withRequests ? ' (requests completed too)' : ''}`, value: Math.round((Math.min(a.handled, b.handled) / n) * 1000) / 10, unit: '% (smaller share)' },
    { name: `careplans: activities per CPU second of the 2 scheduler processes (PostgreSQL not counted)${withRequests ? ' (requests completed too)' : ''}`, value: Math.round(n / (a.cpuSeconds + b.cpuSeconds)), unit: 'activities/CPU-s' },
  ];
}
