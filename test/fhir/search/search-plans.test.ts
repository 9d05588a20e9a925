/**
 * Query plans on real PostgreSQL with 10,000 patients: identifier and name searches must be index
 * lookups, not sequential scans (the benchmark needs ≤ 5 ms median at 100,000).
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planSearch } from '../../../src/fhir/search/plan.js';
import { pageQuery, whereOf } from '../../../src/fhir/search/search.js';
import { postgresOnly, type TestDatabase } from '../../helpers/db.js';
import { BASE, openSearchDatabase, params } from './support.js';

const N = 10_000;

describe.each(postgresOnly())('search query plans on %s with 10k patients', (kind) => {
  let t: TestDatabase;

  async function plan(query: string): Promise<string> {
    const p = planSearch({ resourceType: 'Patient', params: params(query), baseUrl: BASE });
    const { query: page } = pageQuery(p, whereOf(p, BASE));
    const result = await sql<{ 'QUERY PLAN': unknown }>`explain (format json) ${page}`.execute(t.db);
    return JSON.stringify(result.rows[0]['QUERY PLAN']);
  }

  beforeAll(async () => {
    t = await openSearchDatabase(kind);
    // Bulk rows shaped like indexResource's output (the writer itself is tested elsewhere).
    await sql`insert into fhir_resource select 'Patient', 'p' || g, 1, now(), false,
      jsonb_build_object('resourceType', 'Patient', 'id', 'p' || g) from generate_series(1, ${N}) g`.execute(t.db);
    await sql`insert into fhir_search_token select 'Patient', 'p' || g, p.param, p.system, p.value || (g % p.modulo), null
      from generate_series(1, ${N}) g,
      (values ('identifier', 'urn:mrn', 'm', ${N + 1}), ('gender', null, 'g', 2), ('active', null, 'true', 1), ('_tag', 'urn:src', 'hl7', 3)) as p(param, system, value, modulo)`.execute(t.db);
    await sql`insert into fhir_search_string select 'Patient', 'p' || g, p.param, p.value || (g % 2000), p.value || (g % 2000)
      from generate_series(1, ${N}) g, (values ('name', 'fam'), ('family', 'fam'), ('name', 'giv'), ('given', 'giv')) as p(param, value)`.execute(t.db);
    await sql`analyze`.execute(t.db);
  }, 120_000);
  afterAll(() => t.close());

  it('identifier search uses the token index, no sequential scan', async () => {
    const p = await plan('identifier=urn:mrn|m5000');
    expect(p).toContain('fhir_search_token_value');
    expect(p).not.toContain('Seq Scan');
  });

  it('name prefix search uses the string index, no sequential scan', async () => {
    const p = await plan('family=fam123');
    expect(p).toContain('fhir_search_string_value');
    expect(p).not.toContain('Seq Scan');
  });

  it('a deep page (keyset cursor) starts from the primary key, no sequential scan', async () => {
    const first = planSearch({ resourceType: 'Patient', params: params('_count=10'), baseUrl: BASE });
    const cursor = Buffer.from(JSON.stringify(['n', 'Patient', 'p9000'])).toString('base64url');
    const deep = planSearch({ resourceType: 'Patient', params: params(`_count=10&_cursor=${cursor}`), baseUrl: BASE });
    const { query } = pageQuery(deep, whereOf(deep, BASE));
    const rows = (await query.execute(t.db)).rows;
    expect(rows[0].id > 'p9000').toBe(true);
    const explained = JSON.stringify((await sql<{ 'QUERY PLAN': unknown }>`explain (format json) ${query}`.execute(t.db)).rows[0]['QUERY PLAN']);
    expect(explained).not.toContain('Seq Scan');
    expect(first.count).toBe(10);
  });
});
