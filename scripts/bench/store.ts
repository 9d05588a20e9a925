/**
 * Store benchmark (fhir-store): against real PostgreSQL,
 *  - load: N Patients (100,000; quick 2,000) written as transaction Bundles of 100 through the store
 *    (in this process, no HTTP),
 *  - p50/p99 latency over HTTP of create, read, update, search by identifier and search by family
 *    name at that size (one client, sequential),
 *  - mixed CRUD throughput over HTTP with 16 concurrent clients (40% read, 20% create, 20% update,
 *    20% search by identifier), with p50/p99 per operation from the same run.
 * The server is carebridge itself (`node --import tsx src/main.ts`) in its own process, as deployed:
 * auth on (an API key with system/Patient.cruds, so every request is authenticated and audited —
 * one AuditEvent per request, written by the batched audit writer), logs at info, background
 * workers off, rate limit off (it would cap one client at 100 req/s). The load clients share one
 * keep-alive agent and run in this process; a warm-up phase (JIT, prepared plans, pool, validator
 * compilation) runs before anything is measured. The machine is shared, so the mixed run also
 * reports CPU per request of the server, its PostgreSQL backends and the load client, and the req/s
 * two idle cores would serve at that cost. STORE_BENCH_PROFILE=dir runs the server with
 * `--cpu-prof --cpu-prof-dir=dir`; STORE_BENCH_MIXED_SECONDS lengthens the mixed run (CPU per
 * request settles better over a longer run on a shared machine).
 */
import type { ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { Agent, request as httpRequest } from 'node:http';
import type { Bundle, Patient } from 'fhir/r4.js';
import pg from 'pg';
import { createClientRepository } from '../../src/auth/index.js';
import { openDatabase, runMigrations } from '../../src/db/index.js';
import { createFhirStore } from '../../src/fhir/index.js';
import { createLogger } from '../../src/logging/index.js';
import { allMigrations } from '../../src/server/index.js';
import { freePort, spawnReady, stopChild } from './support/processes.js';
import { percentile, type BenchOptions, type BenchResult } from './types.js';

const FAMILIES = ['Smith', 'Jones', 'Garcia', 'Müller', 'Rossi', 'Dubois', 'Nowak', 'Silva', 'Kim', 'Okafor'];
const CLIENTS = 16;
/**
 * Server pool: the server's own default (DATABASE_POOL_SIZE, 10) unless STORE_BENCH_POOL says
 * otherwise. More connections than cores does not serve more: with 20, the 16 clients' queries
 * ran at once on 2 cores and PostgreSQL spent ~20 % more CPU per request (lock and buffer
 * contention) for ~10 % fewer requests/s than with 10 (interleaved A/B, same code).
 */
const POOL_SIZE = process.env.STORE_BENCH_POOL;

function patient(i: number): Patient {
  return {
    resourceType: 'Patient',
    identifier: [{ system: 'urn:bench:mrn', value: `MRN${i}` }],
    name: [{ family: `${FAMILIES[i % FAMILIES.length]}${Math.floor(i / 10)}`, given: ['Bench'] }],
    gender: i % 2 ? 'male' : 'female',
    birthDate: `19${String(40 + (i % 60)).padStart(2, '0')}-0${1 + (i % 9)}-1${i % 10}`,
  };
}

/** Loads `total` Patients through the store's transaction path; returns patients/s and an API key. */
async function load(databaseUrl: string, total: number): Promise<{ rate: number; apiKey: string }> {
  const database = await openDatabase({ url: databaseUrl, poolSize: 4 });
  await runMigrations(database.db, allMigrations());
  const store = createFhirStore({ db: database.db, logger: createLogger({ level: 'silent' }) });
  const { apiKey } = await createClientRepository(database.db).create({ name: 'store bench', scopes: 'system/Patient.cruds', apiKey: true });
  const started = performance.now();
  try {
    // Two bundles in flight keep the database busy while the next one is validated and built.
    const lanes = 2;
    const perBundle = 100;
    const bundles = Math.ceil(total / perBundle);
    let next = 0;
    const lane = async () => {
      for (let b = next++; b < bundles; b = next++) {
        const entry = Array.from({ length: perBundle }, (_, k) => ({ resource: patient(b * perBundle + k), request: { method: 'POST' as const, url: 'Patient' } }));
        await store.transaction({ resourceType: 'Bundle', type: 'transaction', entry } as Bundle);
      }
    };
    await Promise.all(Array.from({ length: lanes }, lane));
    return { rate: total / ((performance.now() - started) / 1000), apiKey: apiKey! };
  } finally {
    await database.close();
  }
}

function spawnServer(env: Record<string, string>): Promise<ChildProcess> {
  const profileDir = process.env.STORE_BENCH_PROFILE;
  return spawnReady({ args: ['src/main.ts'], env, ready: /carebridge ready/, nodeArgs: profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [] });
}

/** Process CPU time (user + system) in seconds, from /proc (Linux); 0 when the process is gone. */
async function cpuSeconds(pid: number): Promise<number> {
  try {
    const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (100/s)
  } catch {
    return 0;
  }
}

/**
 * CPU seconds of the PostgreSQL backends serving the bench database (the server's pool), by pid.
 * The machine is shared, so CPU per request says more about capacity than req/s alone.
 */
async function backendCpu(databaseUrl: string): Promise<Map<number, number>> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number }>('select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()');
    return new Map(await Promise.all(rows.map(async (r) => [r.pid, await cpuSeconds(r.pid)] as [number, number])));
  } finally {
    await client.end();
  }
}

async function backendCpuSince(databaseUrl: string, before: Map<number, number>): Promise<number> {
  let sum = 0;
  for (const [pid, cpu] of await backendCpu(databaseUrl)) sum += cpu - (before.get(pid) ?? 0);
  return sum;
}

interface Answer {
  status: number;
  body: string;
}

type Client = (method: string, path: string, body?: unknown) => Promise<Answer>;

function httpClient(port: number, apiKey: string): { call: Client; close(): void } {
  const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS * 2, maxFreeSockets: CLIENTS * 2 });
  const authorization = `Bearer ${apiKey}`;
  const call: Client = (method, path, body) =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const headers: Record<string, string> = { authorization, accept: 'application/fhir+json' };
      if (payload !== undefined) {
        headers['content-type'] = 'application/fhir+json';
        headers['content-length'] = String(Buffer.byteLength(payload));
      }
      const req = httpRequest({ host: '127.0.0.1', port, method, path: `/fhir${path}`, agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(payload);
    });
  return { call, close: () => agent.destroy() };
}

async function timed(n: number, fn: (i: number) => Promise<Answer>): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const res = await fn(i);
    if (res.status >= 300) throw new Error(`bench request failed with ${res.status}`);
    ms.push(performance.now() - t);
  }
  return ms;
}

const OPS = ['read', 'create', 'update', 'search by identifier'] as const;
type Op = (typeof OPS)[number];

interface MixedRun {
  rate: number;
  requests: number;
  seconds: number;
  latencies: Record<Op, number[]>;
}

async function mixed(call: Client, created: Patient[], total: number, seconds: number, offset: number): Promise<MixedRun> {
  const until = performance.now() + seconds * 1000;
  const latencies: Record<Op, number[]> = { read: [], create: [], update: [], 'search by identifier': [] };
  let done = 0;
  let failures = 0;
  const client = async (c: number) => {
    for (let i = offset + c; performance.now() < until; i += CLIENTS) {
      const p = created[i % created.length]!;
      const k = i % 5;
      const op: Op = k <= 1 ? 'read' : k === 2 ? 'create' : k === 3 ? 'update' : 'search by identifier';
      const t = performance.now();
      const res =
        op === 'read' ? await call('GET', `/Patient/${p.id}`)
        : op === 'create' ? await call('POST', '/Patient', patient(total * 2 + i))
        : op === 'update' ? await call('PUT', `/Patient/${p.id}`, { ...p, meta: undefined, gender: i % 2 ? 'male' : 'female', active: i % 3 === 0 })
        : await call('GET', `/Patient?identifier=urn:bench:mrn|MRN${(i * 7919) % total}`);
      latencies[op].push(performance.now() - t);
      if (res.status >= 300) failures += 1;
      done += 1;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)));
  const elapsed = (performance.now() - started) / 1000;
  if (failures) throw new Error(`${failures} mixed requests failed`);
  return { rate: done / elapsed, requests: done, seconds: elapsed, latencies };
}

export async function run(opts: BenchOptions): Promise<BenchResult[]> {
  const total = opts.quick ? 2_000 : 100_000;
  const samples = opts.quick ? 200 : 500;
  const mixedSeconds = Number(process.env.STORE_BENCH_MIXED_SECONDS ?? (opts.quick ? 5 : 20));
  const warmSeconds = opts.quick ? 3 : 5;
  const { rate: loadRate, apiKey } = await load(opts.databaseUrl, total);
  const size = total.toLocaleString('en');
  const results: BenchResult[] = [{ name: `load ${size} Patients (bundles of 100)`, value: Math.round(loadRate), unit: 'patients/s' }];

  const port = await freePort();
  const child = await spawnServer({
    DATABASE_URL: opts.databaseUrl, PORT: String(port), HOST: '127.0.0.1', MLLP_PORT: String(await freePort()),
    WORKERS: 'off', LOG_LEVEL: 'info', RATE_LIMIT_PER_MINUTE: '0', ...(POOL_SIZE ? { DATABASE_POOL_SIZE: POOL_SIZE } : {}),
    CAREBRIDGE_ADMIN_TOKEN: 'bench-admin-token-0123456789abcdef',
  });
  const { call, close } = httpClient(port, apiKey);
  try {
    const rnd = (i: number) => (i * 7919) % total;
    // Warm-up, not measured: patients to read and update, then a short mixed run.
    const created: Patient[] = [];
    for (let i = 0; i < 100; i++) {
      const res = await call('POST', '/Patient', patient(total + i));
      if (res.status !== 201) throw new Error(`bench create failed with ${res.status}: ${res.body.slice(0, 300)}`);
      created.push(JSON.parse(res.body) as Patient);
    }
    await mixed(call, created, total, warmSeconds, 1_000_000);

    const create = await timed(samples, async (i) => {
      const res = await call('POST', '/Patient', patient(total + 100 + i));
      if (res.status < 300) created.push(JSON.parse(res.body) as Patient);
      return res;
    });
    const read = await timed(samples, (i) => call('GET', `/Patient/${created[i % created.length]!.id}`));
    const update = await timed(samples, (i) => {
      const p = created[i % created.length]!;
      return call('PUT', `/Patient/${p.id}`, { ...p, meta: undefined, active: i % 2 === 0 });
    });
    const byIdentifier = await timed(samples, (i) => call('GET', `/Patient?identifier=urn:bench:mrn|MRN${rnd(i)}`));
    const byName = await timed(samples, (i) => call('GET', `/Patient?family=${encodeURIComponent(`${FAMILIES[i % FAMILIES.length]}${Math.floor(rnd(i) / 10)}`)}`));
    for (const [name, values, target] of [
      ['create', create, undefined], ['read', read, undefined], ['update', update, undefined],
      ['search by identifier', byIdentifier, '≤ 5 ms median, ≤ 25 ms p99'], ['search by name', byName, undefined],
    ] as const) {
      results.push({ name: `${name} p50 @${size}`, value: round(percentile(values, 50)), unit: 'ms', ...(target ? { target } : {}) });
      results.push({ name: `${name} p99 @${size}`, value: round(percentile(values, 99)), unit: 'ms' });
    }

    const cpuBefore = await cpuSeconds(child.pid!);
    const backendsBefore = await backendCpu(opts.databaseUrl);
    const clientBefore = process.cpuUsage();
    const m = await mixed(call, created, total, mixedSeconds, 0);
    const clientUsage = process.cpuUsage(clientBefore);
    const serverCpu = (await cpuSeconds(child.pid!)) - cpuBefore;
    const databaseCpu = await backendCpuSince(opts.databaseUrl, backendsBefore);
    const clientCpu = (clientUsage.user + clientUsage.system) / 1e6;
    results.push({ name: `mixed CRUD, ${CLIENTS} HTTP clients`, value: Math.round(m.rate), unit: 'req/s', target: '≥ 1,500 req/s' });
    for (const op of OPS) {
      results.push({ name: `mixed ${op} p50`, value: round(percentile(m.latencies[op], 50)), unit: 'ms' });
      results.push({ name: `mixed ${op} p99`, value: round(percentile(m.latencies[op], 99)), unit: 'ms' });
    }
    results.push({ name: 'mixed: server process CPU per request', value: round((serverCpu * 1000) / m.requests), unit: 'ms' });
    results.push({ name: 'mixed: server process CPU use', value: Math.round((serverCpu / m.seconds) * 100), unit: '% of one core' });
    results.push({ name: 'mixed: PostgreSQL backends CPU per request', value: round((databaseCpu * 1000) / m.requests), unit: 'ms' });
    results.push({ name: 'mixed: load client CPU per request', value: round((clientCpu * 1000) / m.requests), unit: 'ms' });
    // What two otherwise idle cores could serve at this CPU cost (server + database + client).
    results.push({ name: 'mixed: capacity of 2 idle cores at this CPU cost', value: Math.round((2 * m.requests) / (serverCpu + databaseCpu + clientCpu)), unit: 'req/s' });
  } finally {
    close();
    await stopChild(child);
  }
  return results;
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
