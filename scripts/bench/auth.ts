/**
 * Auth benchmark (security): against real PostgreSQL,
 *  - audit writer throughput: N AccessEvents recorded (20,000; quick 2,000), written as AuditEvent
 *    batches through the store; events/s until `close()` has written the last one;
 *  - request overhead of the gate: p50/p99 of GET /fhir/Patient/{id} on the real server with auth
 *    off (baseline), with an API key (one indexed lookup per request) and with a SMART access token
 *    (signature check only). Sequential, one client in the same process.
 */
import type { Patient } from 'fhir/r4.js';
import { createAuditWriter, createClientRepository, storeAuditSink } from '../../src/auth/index.js';
import { openDatabase, runMigrations } from '../../src/db/index.js';
import { createFhirStore } from '../../src/fhir/index.js';
import { createLogger } from '../../src/logging/index.js';
import { allMigrations, loadConfig, startServer } from '../../src/server/index.js';
import { percentile, type BenchOptions, type BenchResult } from './types.js';

const logger = createLogger({ level: 'silent' });
const ADMIN = 'bench-admin-token-0123456789abcdef';

async function auditThroughput(databaseUrl: string, n: number): Promise<number> {
  const database = await openDatabase({ url: databaseUrl, poolSize: 4 });
  await runMigrations(database.db, allMigrations());
  const store = createFhirStore({ db: database.db, logger });
  const writer = createAuditWriter({ sink: storeAuditSink(store, logger), logger });
  // Warm up (schema compilation, prepared plans) outside the measurement.
  writer.record({ interaction: 'read', resourceType: 'Patient', id: 'warm', status: 200, clientId: 'bench' });
  await writer.flush();
  const started = performance.now();
  try {
    for (let i = 0; i < n; i++) {
      writer.record({ interaction: i % 3 ? 'read' : 'search', resourceType: 'Patient', id: `p${i}`, query: i % 3 ? undefined : `family=X${i}`, status: 200, clientId: 'bench', ip: '127.0.0.1' });
      // Yield now and then, as a server does between requests, so timer flushes can run.
      if (i % 500 === 499) await new Promise((r) => setImmediate(r));
    }
    await writer.close();
  } finally {
    await database.close();
  }
  return n / ((performance.now() - started) / 1000);
}

async function readLatencies(databaseUrl: string, env: Record<string, string>, n: number, credential?: 'api-key' | 'token'): Promise<number[]> {
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', MLLP_PORT: '-1', DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent', WORKERS: 'off', RATE_LIMIT_PER_MINUTE: '0', CAREBRIDGE_ADMIN_TOKEN: ADMIN, ...env });
  const server = await startServer(config, logger);
  try {
    const { resource } = await server.runtime.store.create<Patient>({ resourceType: 'Patient', identifier: [{ system: 'urn:bench', value: `A${Date.now()}` }] });
    let authorization: string | undefined;
    if (credential === 'api-key') {
      authorization = `Bearer ${(await createClientRepository(server.runtime.database.db).create({ scopes: 'system/Patient.rs', apiKey: true })).apiKey}`;
    } else if (credential === 'token') {
      const { issueAccessToken } = await import('../../src/auth/tokens.js');
      const { loadSigningKeys } = await import('../../src/auth/keys.js');
      const keys = await loadSigningKeys(server.runtime.database.db);
      authorization = `Bearer ${(await issueAccessToken(keys, { issuer: 'carebridge', audience: 'carebridge/fhir' }, 'bench', 'system/Patient.rs')).accessToken}`;
    }
    const ms: number[] = [];
    for (let i = 0; i < n + 50; i++) {
      const t = performance.now();
      const res = await fetch(`${server.httpUrl}/fhir/Patient/${resource.id}`, { headers: authorization ? { authorization } : {} });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`bench read failed with ${res.status}`);
      if (i >= 50) ms.push(performance.now() - t); // first 50 warm up
    }
    return ms;
  } finally {
    await server.stop();
  }
}

export async function run(opts: BenchOptions): Promise<BenchResult[]> {
  const events = opts.quick ? 2_000 : 20_000;
  const reads = opts.quick ? 200 : 2_000;
  const auditRate = await auditThroughput(opts.databaseUrl, events);
  const off = await readLatencies(opts.databaseUrl, { CAREBRIDGE_AUTH: 'off-i-understand-this-exposes-patient-data' }, reads);
  const key = await readLatencies(opts.databaseUrl, {}, reads, 'api-key');
  const token = await readLatencies(opts.databaseUrl, {}, reads, 'token');
  const base = { name: 'read p50, auth off', value: percentile(off, 50) };
  return [
    { name: 'audit events written (batched, through the store)', value: Math.round(auditRate), unit: 'events/s' },
    { name: 'read p50, auth off', value: base.value, unit: 'ms' },
    { name: 'read p50, API key (+ audit)', value: percentile(key, 50), unit: 'ms', baseline: base },
    { name: 'read p99, API key (+ audit)', value: percentile(key, 99), unit: 'ms' },
    { name: 'read p50, SMART access token (+ audit)', value: percentile(token, 50), unit: 'ms', baseline: base },
    { name: 'read p99, SMART access token (+ audit)', value: percentile(token, 99), unit: 'ms' },
  ];
}
