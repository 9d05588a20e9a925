import type { Bundle, Patient } from 'fhir/r4.js';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { matchesQuery, searchParameterDefinitions, searchResources } from '../../../src/fhir/search/index.js';
import { testDatabaseKinds, type TestDatabase } from '../../helpers/db.js';
import { BASE, markDeleted, matchIds, openSearchDatabase, params, seed } from './support.js';

const FAMILIES = ['Adams', 'Baker', 'Clark', 'Davis', 'Evans'];

/** 25 patients: 5 families × 5 birth years; ids pt00..pt24. */
function cohort(): Patient[] {
  return Array.from({ length: 25 }, (_, i) => ({
    resourceType: 'Patient',
    id: `pt${String(i).padStart(2, '0')}`,
    identifier: [{ system: 'urn:test', value: `id-${i}` }],
    name: [{ family: FAMILIES[i % 5], given: [`G${i}`] }],
    birthDate: `${1950 + Math.floor(i / 5)}-01-01`,
    gender: i % 2 === 0 ? 'female' : 'male',
    text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">x</div>' },
  }));
}

const link = (b: Bundle, relation: string) => b.link?.find((l) => l.relation === relation)?.url;

describe.each(testDatabaseKinds())('paging, sorting and result shaping on %s', (kind) => {
  let t: TestDatabase;
  const search = (query: string, extra: { handling?: 'strict' | 'lenient'; maxCount?: number } = {}) =>
    searchResources(t.db, { resourceType: 'Patient', params: params(query), baseUrl: BASE, ...extra });
  const follow = (url: string) => search(new URL(url).search.slice(1));

  beforeAll(async () => {
    t = await openSearchDatabase(kind);
    await seed(t.db, cohort());
  });
  afterAll(() => t.close());

  it('_count defaults to 20 and is capped by maxCount', async () => {
    expect(matchIds(await search(''))).toHaveLength(20);
    expect(matchIds(await search('_count=100', { maxCount: 7 }))).toHaveLength(7);
  });

  it('_sort by several keys, descending', async () => {
    const b = await search('_sort=family,-birthdate&_count=6');
    const names = (b.entry ?? []).map((e) => `${(e.resource as Patient).name?.[0].family} ${(e.resource as Patient).birthDate}`);
    expect(names).toEqual(['Adams 1954-01-01', 'Adams 1953-01-01', 'Adams 1952-01-01', 'Adams 1951-01-01', 'Adams 1950-01-01', 'Baker 1954-01-01']);
  });

  it('next links walk every match exactly once (keyset cursor) and previous walks back', async () => {
    const seen: string[] = [];
    let page = await search('_sort=-birthdate,family&_count=7');
    const first = matchIds(page);
    seen.push(...first);
    const pages: Bundle[] = [page];
    while (link(page, 'next')) {
      page = await follow(link(page, 'next') as string);
      pages.push(page);
      seen.push(...matchIds(page));
    }
    expect(seen).toHaveLength(25);
    expect(new Set(seen).size).toBe(25);
    expect(pages).toHaveLength(4);
    expect(link(pages[0], 'previous')).toBeUndefined();
    const back = await follow(link(pages[1], 'previous') as string);
    expect(matchIds(back)).toEqual(first);
  });

  it('the cursor is a position, not an offset: a row inserted before it does not repeat rows', async () => {
    const page1 = await search('_count=5');
    const zed: Patient = { resourceType: 'Patient', id: 'pt000', name: [{ family: 'Zed' }] };
    await seed(t.db, [zed]);
    const page2 = await follow(link(page1, 'next') as string);
    expect(matchIds(page2)[0]).toBe('Patient/pt05');
    await markDeleted(t.db, 'Patient', 'pt000', true);
  });

  it('self link repeats the query', async () => {
    const b = await search('family=adams&_count=2');
    expect(link(b, 'self')).toBe(`${BASE}/Patient?family=adams&_count=2`);
  });

  it('_total: accurate counts, none omits, estimate gives a number', async () => {
    expect((await search('gender=female&_count=2&_total=accurate')).total).toBe(13);
    expect((await search('gender=female&_count=2&_total=none')).total).toBeUndefined();
    expect(typeof (await search('gender=female&_count=2&_total=estimate')).total).toBe('number');
  });

  it('default total: given when the first page holds every match, omitted when counting would cost', async () => {
    expect((await search('family=adams')).total).toBe(5);
    expect((await search('gender=female&_count=2')).total).toBeUndefined();
  });

  it('_summary=count returns only the total', async () => {
    const b = await search('family=baker&_summary=count');
    expect(b.total).toBe(5);
    expect(b.entry).toBeUndefined();
  });

  it('_summary=true keeps summary elements only and tags SUBSETTED', async () => {
    const p = (await search('_id=pt01&_summary=true')).entry?.[0].resource as Patient;
    expect(p.name?.[0].family).toBe('Baker');
    expect(p.text).toBeUndefined();
    expect(p.meta?.tag?.some((tag) => tag.code === 'SUBSETTED')).toBe(true);
  });

  it('_elements keeps the listed elements plus id and meta', async () => {
    const p = (await search('_id=pt01&_elements=birthDate')).entry?.[0].resource as Patient;
    expect(Object.keys(p).sort()).toEqual(['birthDate', 'id', 'meta', 'resourceType']);
  });

  it('unknown parameters: a warning entry (search.mode=outcome) when lenient', async () => {
    const b = await search('family=adams&frobnicate=1');
    expect(matchIds(b)).toHaveLength(5);
    const outcome = b.entry?.find((e) => e.search?.mode === 'outcome');
    expect(JSON.stringify(outcome?.resource)).toContain('frobnicate');
  });

  it('unknown parameters: 400 when strict', async () => {
    await expect(search('family=adams&frobnicate=1', { handling: 'strict' })).rejects.toMatchObject({ code: 'CB_ERR_SEARCH_UNKNOWN_PARAM' });
  });

  it('unsupported modifiers and bad cursors are 400', async () => {
    await expect(search('family:fuzzy=x')).rejects.toMatchObject({ code: 'CB_ERR_SEARCH_INVALID_PARAM' });
    await expect(search('_cursor=bm90LWEtY3Vyc29y')).rejects.toMatchObject({ code: 'CB_ERR_SEARCH_INVALID_PARAM' });
  });

  it('SQL in values, names and _sort changes nothing and leaks nothing', async () => {
    const attacks = ["x' or '1'='1", "'; drop table fhir_resource; --", "1) or (1=1", "%' union select content from fhir_resource --"];
    for (const attack of attacks) {
      const q = new URLSearchParams({ family: attack, identifier: attack, birthdate: 'ge1900', _id: attack });
      expect(matchIds(await searchResources(t.db, { resourceType: 'Patient', params: q, baseUrl: BASE }))).toEqual([]);
      const named = new URLSearchParams({ [attack]: '1' });
      expect((await searchResources(t.db, { resourceType: 'Patient', params: named, baseUrl: BASE })).entry?.filter((e) => e.search?.mode === 'match')).toHaveLength(20);
      await expect(searchResources(t.db, { resourceType: 'Patient', params: new URLSearchParams({ _sort: attack }), baseUrl: BASE })).rejects.toMatchObject({ code: 'CB_ERR_SEARCH_INVALID_PARAM' });
    }
    const count = await sql<{ n: number }>`select count(*)::int as n from fhir_resource`.execute(t.db);
    expect(count.rows[0].n).toBeGreaterThanOrEqual(25);
  });

  it('matchesQuery returns the ids for conditional operations', async () => {
    expect(await matchesQuery(t.db, 'Patient', 'identifier=urn:test|id-3')).toEqual(['pt03']);
    expect(await matchesQuery(t.db, 'Patient', 'Patient?family=adams&gender=female')).toEqual(['pt00', 'pt10', 'pt20']);
    expect(await matchesQuery(t.db, 'Patient', 'identifier=urn:test|none')).toEqual([]);
  });

  it('matchesQuery refuses unknown parameters and empty criteria', async () => {
    await expect(matchesQuery(t.db, 'Patient', 'identifer=urn:test|id-3')).rejects.toMatchObject({ code: 'CB_ERR_SEARCH_UNKNOWN_PARAM' });
    await expect(matchesQuery(t.db, 'Patient', '_count=1')).rejects.toMatchObject({ code: 'CB_ERR_SEARCH_INVALID_PARAM' });
  });

  it('system search over _type with common parameters', async () => {
    const b = await searchResources(t.db, { params: params('_type=Patient&_id=pt01,pt02'), baseUrl: BASE });
    expect(matchIds(b).sort()).toEqual(['Patient/pt01', 'Patient/pt02']);
  });

  it('searchParameterDefinitions come from the official bundle', () => {
    const defs = searchParameterDefinitions('Patient');
    const identifier = defs.find((d) => d.code === 'identifier');
    expect(identifier?.url).toBe('http://hl7.org/fhir/SearchParameter/Patient-identifier');
    expect(defs.some((d) => d.code === '_lastUpdated')).toBe(true);
    expect(defs.length).toBeGreaterThan(25);
  });
});
