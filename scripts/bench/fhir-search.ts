/**
 * Search benchmark (fhir-search): against real PostgreSQL, N Patients (50,000; quick 3,000), each
 * with a Condition and two Observations for every 5th patient, written as rows + index rows in
 * transactions of 500 (the store's validation and HTTP are measured by the store benchmark). Then
 * p50/p99 of searchResources (in process, no HTTP) for: identifier, name prefix, the `_has` cohort
 * query, a chained search, `_revinclude`, and following `next` links deep into the result set.
 */
import type { Condition, Observation, Patient, Resource } from 'fhir/r4.js';
import { sql } from 'kysely';
import { openDatabase, runMigrations, type AnyDb } from '../../src/db/index.js';
import { fhirMigrations, indexResource, searchMigrations, searchResources } from '../../src/fhir/index.js';
import { percentile, type BenchOptions, type BenchResult } from './types.js';

const FAMILIES = ['Smith', 'Jones', 'Garcia', 'Müller', 'Rossi', 'Dubois', 'Nowak', 'Silva', 'Kim', 'Okafor'];
const BASE = 'http://bench/fhir';

function resourcesOf(i: number): Resource[] {
  const patient: Patient = {
    resourceType: 'Patient', id: `p${i}`, gender: i % 2 ? 'male' : 'female',
    identifier: [{ system: 'urn:bench:mrn', value: `MRN${i}` }],
    name: [{ family: `${FAMILIES[i % FAMILIES.length]}${Math.floor(i / 10)}`, given: ['Bench'] }],
    birthDate: `19${String(40 + (i % 60)).padStart(2, '0')}-0${1 + (i % 9)}-1${i % 10}`,
  };
  if (i % 5 !== 0) return [patient];
  const subject = { reference: `Patient/p${i}` };
  const condition: Condition = { resourceType: 'Condition', id: `c${i}`, subject, code: { coding: [{ system: 'http://snomed.info/sct', code: i % 10 === 0 ? '44054006' : '38341003' }] } };
  const obs = (id: string, code: string, value: number): Observation => ({
    resourceType: 'Observation', id, status: 'final', subject, code: { coding: [{ system: 'http://loinc.org', code }] },
    effectiveDateTime: '2024-03-01', valueQuantity: { value, system: 'http://unitsofmeasure.org', code: '%' },
  });
  return [patient, condition, obs(`a${i}`, '4548-4', 5 + (i % 7)), obs(`g${i}`, '2345-7', 4 + (i % 9))];
}

export async function seed(db: AnyDb, total: number): Promise<{ perResourceMs: number; resources: number }> {
  let count = 0;
  const started = performance.now();
  for (let start = 0; start < total; start += 500) {
    const batch = Array.from({ length: Math.min(500, total - start) }, (_, k) => resourcesOf(start + k)).flat();
    await db.transaction().execute(async (trx) => {
      const now = new Date().toISOString();
      await sql`insert into fhir_resource (resource_type, id, version_id, last_updated, deleted, content) values ${sql.join(
        batch.map((r) => sql`(${r.resourceType}, ${r.id as string}, 1, ${now}, false, ${JSON.stringify(r)}::jsonb)`),
      )}`.execute(trx);
      for (const r of batch) await indexResource(trx, r);
    });
    count += batch.length;
  }
  return { perResourceMs: (performance.now() - started) / count, resources: count };
}

async function latencies(n: number, fn: (i: number) => Promise<unknown>): Promise<{ p50: number; p99: number }> {
  for (let i = 0; i < Math.min(20, n); i++) await fn(i);
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn(i);
    times.push(performance.now() - t0);
  }
  return { p50: percentile(times, 50), p99: percentile(times, 99) };
}

export async function run(opts: BenchOptions): Promise<BenchResult[]> {
  const total = opts.quick ? 3_000 : 50_000;
  const database = await openDatabase({ url: opts.databaseUrl, poolSize: 4 });
  try {
    const db = database.db;
    await runMigrations(db, [...fhirMigrations, ...searchMigrations]);
    const loaded = await seed(db, total);
    await sql`analyze`.execute(db);
    const search = (type: string, query: string) => searchResources(db, { resourceType: type, params: new URLSearchParams(query), baseUrl: BASE });
    const reps = opts.quick ? 100 : 300;
    const results: BenchResult[] = [
      { name: `index write per resource (rows + index, trx of 500, ${loaded.resources} resources)`, value: loaded.perResourceMs, unit: 'ms' },
    ];
    const add = (name: string, r: { p50: number; p99: number }, target?: [string, string]) => {
      results.push({ name: `${name} p50`, value: r.p50, unit: 'ms', target: target?.[0] });
      results.push({ name: `${name} p99`, value: r.p99, unit: 'ms', target: target?.[1] });
    };
    const rnd = (i: number) => (i * 7919) % total;
    add(`identifier search (${total} patients)`, await latencies(reps, (i) => search('Patient', `identifier=urn:bench:mrn|MRN${rnd(i)}`)), ['≤ 5 ms', '≤ 25 ms']);
    add('family prefix search', await latencies(reps, (i) => search('Patient', `family=${FAMILIES[i % 10].toLowerCase()}${rnd(i) % 100}`)));
    const cohort = 'birthdate=lt1976&_has:Condition:patient:code=http://snomed.info/sct|44054006&_has:Observation:patient:code-value-quantity=http://loinc.org|4548-4$gt8';
    add('cohort (_has ×2, composite), first page', await latencies(Math.ceil(reps / 5), () => search('Patient', cohort)));
    add('chained subject:Patient.identifier', await latencies(reps, (i) => search('Observation', `subject:Patient.identifier=urn:bench:mrn|MRN${rnd(i) - (rnd(i) % 5)}`)));
    add('_revinclude Observation:subject (1 patient)', await latencies(reps, (i) => search('Patient', `_id=p${rnd(i) - (rnd(i) % 5)}&_revinclude=Observation:subject`)));
    let page = await search('Patient', '_count=50');
    const pageTimes: number[] = [];
    for (let i = 0; i < (opts.quick ? 40 : 400); i++) {
      const next = page.link?.find((l) => l.relation === 'next')?.url;
      if (!next) break;
      const t0 = performance.now();
      page = await search('Patient', new URL(next).search.slice(1));
      pageTimes.push(performance.now() - t0);
    }
    add('next page (keyset, _count=50, pages 1..N)', { p50: percentile(pageTimes, 50), p99: percentile(pageTimes, 99) });
    return results;
  } finally {
    await database.close();
  }
}
