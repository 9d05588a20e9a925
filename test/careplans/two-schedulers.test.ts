import { rmSync } from 'node:fs';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFhirStore } from '../../src/fhir/index.js';
import { benchPlansDir, careplanBenchMigrations, seedDueActivities, sweepAll } from '../../scripts/bench/careplans.js';
import { openTestDatabase, postgresOnly, type TestDatabase } from '../helpers/db.js';
import { logger } from './harness.js';

const N = 10_000;

describe.each(postgresOnly())('two schedulers on one %s database', (kind) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await openTestDatabase(kind, careplanBenchMigrations(), { poolSize: 4 });
    await seedDueActivities(t.db, createFhirStore({ db: t.db, logger }), N, { patients: 100, dueAt: new Date(Date.now() - 60_000) });
  }, 120_000);
  afterAll(() => t?.close());

  it(`${N.toLocaleString('en')} due activities: each sent exactly once, work shared`, async () => {
    const dir = benchPlansDir();
    // Two independent runtimes, each with its own pg pool, sweeping at the same time.
    const [a, b] = await Promise.all([sweepAll(t.url!, dir, undefined, 6), sweepAll(t.url!, dir, undefined, 6)]).finally(() =>
      rmSync(dir, { recursive: true, force: true }));
    expect(a.handled + b.handled).toBe(N);
    expect(Math.min(a.handled, b.handled)).toBeGreaterThan(0);

    const { rows: status } = await sql<{ status: string; n: number }>`select status, count(*)::int as n from careplan_activity group by status`.execute(t.db);
    expect(status).toEqual([{ status: 'sent', n: N }]);
    const { rows: comm } = await sql<{ n: number; maxv: number; distinct_refs: number }>`
      select count(*)::int as n, max(version_id)::int as maxv,
             (select count(distinct result_ref)::int from careplan_activity) as distinct_refs
      from fhir_resource where resource_type = 'Communication'`.execute(t.db);
    expect(comm[0]).toEqual({ n: N, maxv: 1, distinct_refs: N });
    // What outbound would see: exactly one change-feed entry per Communication.
    const { rows: feed } = await sql<{ n: number; ids: number }>`
      select count(*)::int as n, count(distinct id)::int as ids from fhir_change_feed where resource_type = 'Communication'`.execute(t.db);
    expect(feed[0]).toEqual({ n: N, ids: N });
  }, 300_000);
});
