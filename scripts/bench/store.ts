/**
 * Store benchmark (fhir-store): against real PostgreSQL,
 *  - load: N Patients (100,000; quick 2,000) written as transaction Bundles of 100 through the store,
 *  - p50/p99 latency over HTTP (the real server, auth off) of create, read, update, search by
 *    identifier and search by family name at that size (one client, sequential),
 *  - mixed CRUD throughput over HTTP with concurrent clients (40% read, 20% create, 20% update,
 *    20% search by identifier).
 * The load client runs in the same process as the server, so on 2 cores it competes for CPU; the
 * figures are therefore a lower bound of what the server alone does.
 */
import type { Bundle, Patient } from 'fhir/r4.js';
import { createFhirStore } from '../../src/fhir/index.js';
import { createLogger } from '../../src/logging/index.js';
import { openDatabase, runMigrations } from '../../src/db/index.js';
import { allMigrations, loadConfig, startServer } from '../../src/server/index.js';
import { percentile, type BenchOptions, type BenchResult } from './types.js';

const FAMILIES = ['Smith', 'Jones', 'Garcia', 'Müller', 'Rossi', 'Dubois', 'Nowak', 'Silva', 'Kim', 'Okafor'];

function patient(i: number): Patient {
  return {
    resourceType: 'Patient',
    identifier: [{ system: 'urn:bench:mrn', value: `MRN${i}` }],
    name: [{ family: `${FAMILIES[i % FAMILIES.length]}${Math.floor(i / 10)}`, given: ['Bench'] }],
    gender: i % 2 ? 'male' : 'female',
    birthDate: `19${String(40 + (i % 60)).padStart(2, '0')}-0${1 + (i % 9)}-1${i % 10}`,
  };
}

async function load(databaseUrl: string, total: number): Promise<number> {
  const database = await openDatabase({ url: databaseUrl, poolSize: 4 });
  await runMigrations(database.db, allMigrations());
  const store = createFhirStore({ db: database.db, logger: createLogger({ level: 'silent' }) });
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
  } finally {
    await database.close();
  }
  return total / ((performance.now() - started) / 1000);
}

async function timed(n: number, fn: (i: number) => Promise<Response>): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const res = await fn(i);
    await res.arrayBuffer();
    if (res.status >= 300) throw new Error(`bench request failed with ${res.status}`);
    ms.push(performance.now() - t);
  }
  return ms;
}

export async function run(opts: BenchOptions): Promise<BenchResult[]> {
  const total = opts.quick ? 2_000 : 100_000;
  const samples = opts.quick ? 50 : 500;
  const mixedSeconds = opts.quick ? 3 : 20;
  const clients = 16;
  const loadRate = await load(opts.databaseUrl, total);

  const config = loadConfig({
    DATABASE_URL: opts.databaseUrl, PORT: '0', HOST: '127.0.0.1', MLLP_PORT: '0', LOG_LEVEL: 'silent',
    CAREBRIDGE_AUTH: 'off-i-understand-this-exposes-patient-data', RATE_LIMIT_PER_MINUTE: '0', DATABASE_POOL_SIZE: '20',
    CAREBRIDGE_ADMIN_TOKEN: 'bench-admin-token-0123456789abcdef',
  });
  const server = await startServer(config, createLogger({ level: 'silent' }));
  const base = `${server.httpUrl}/fhir`;
  const json = { 'content-type': 'application/fhir+json' };
  const rnd = (i: number) => (i * 7919) % total;
  const results: BenchResult[] = [{ name: `load ${total.toLocaleString('en')} Patients (bundles of 100)`, value: Math.round(loadRate), unit: 'patients/s' }];
  try {
    const created: Patient[] = [];
    const create = await timed(samples, async (i) => {
      const res = await fetch(`${base}/Patient`, { method: 'POST', headers: json, body: JSON.stringify(patient(total + i)) });
      created.push((await res.clone().json()) as Patient);
      return res;
    });
    const read = await timed(samples, (i) => fetch(`${base}/Patient/${created[i % created.length]!.id}`));
    const update = await timed(samples, (i) => {
      const p = created[i % created.length]!;
      return fetch(`${base}/Patient/${p.id}`, { method: 'PUT', headers: json, body: JSON.stringify({ ...p, meta: undefined, active: i % 2 === 0 }) });
    });
    const byIdentifier = await timed(samples, (i) => fetch(`${base}/Patient?identifier=urn:bench:mrn|MRN${rnd(i)}`));
    const byName = await timed(samples, (i) => fetch(`${base}/Patient?family=${FAMILIES[i % FAMILIES.length]}${Math.floor(rnd(i) / 10)}`));
    for (const [name, values, target] of [
      ['create', create, undefined], ['read', read, undefined], ['update', update, undefined],
      ['search by identifier', byIdentifier, '≤ 5 ms median, ≤ 25 ms p99'], ['search by name', byName, undefined],
    ] as const) {
      results.push({ name: `${name} p50 @${total.toLocaleString('en')}`, value: round(percentile(values, 50)), unit: 'ms', ...(target ? { target } : {}) });
      results.push({ name: `${name} p99 @${total.toLocaleString('en')}`, value: round(percentile(values, 99)), unit: 'ms' });
    }
    results.push({ name: `mixed CRUD, ${clients} HTTP clients`, value: Math.round(await mixed(base, created, total, clients, mixedSeconds)), unit: 'req/s', target: '≥ 1,500 req/s' });
  } finally {
    await server.stop();
  }
  return results;
}

async function mixed(base: string, created: Patient[], total: number, clients: number, seconds: number): Promise<number> {
  const json = { 'content-type': 'application/fhir+json' };
  const until = performance.now() + seconds * 1000;
  let done = 0;
  let failures = 0;
  const client = async (c: number) => {
    for (let i = c; performance.now() < until; i += clients) {
      const p = created[i % created.length]!;
      const op = i % 5;
      const res =
        op <= 1 ? await fetch(`${base}/Patient/${p.id}`)
        : op === 2 ? await fetch(`${base}/Patient`, { method: 'POST', headers: json, body: JSON.stringify(patient(total * 2 + i)) })
        : op === 3 ? await fetch(`${base}/Patient/${p.id}`, { method: 'PUT', headers: json, body: JSON.stringify({ ...p, meta: undefined, gender: i % 2 ? 'male' : 'female', active: i % 3 === 0 }) })
        : await fetch(`${base}/Patient?identifier=urn:bench:mrn|MRN${(i * 7919) % total}`);
      await res.arrayBuffer();
      if (res.status >= 300) failures += 1;
      done += 1;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: clients }, (_, c) => client(c)));
  if (failures) throw new Error(`${failures} mixed requests failed`);
  return done / ((performance.now() - started) / 1000);
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
