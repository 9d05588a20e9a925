import type { Bundle, Resource } from 'fhir/r4.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { searchResources, type SearchAccessPolicy } from '../../../src/fhir/search/index.js';
import { testDatabaseKinds, type TestDatabase } from '../../helpers/db.js';
import { allResources } from './fixtures.js';
import { BASE, markDeleted, matchIds, openSearchDatabase, params, seed } from './support.js';

const included = (b: Bundle) => (b.entry ?? []).filter((e) => e.search?.mode === 'include').map((e) => `${e.resource?.resourceType}/${e.resource?.id}`).sort();

describe.each(testDatabaseKinds())('chains, _has and includes on %s', (kind) => {
  let t: TestDatabase;
  const search = (type: string, query: string, access?: SearchAccessPolicy) => searchResources(t.db, { resourceType: type, params: params(query), baseUrl: BASE, access });
  const ids = async (type: string, query: string) => matchIds(await search(type, query)).sort();

  beforeAll(async () => {
    t = await openSearchDatabase(kind);
    await seed(t.db, allResources);
    await markDeleted(t.db, 'Patient', 'p4');
  });
  afterAll(() => t.close());

  it('chains one level with a type: subject:Patient.identifier', async () => {
    expect(await ids('Observation', 'subject:Patient.identifier=urn:mrn|1002')).toEqual(['Observation/o2', 'Observation/o3']);
  });

  it('chains without a type through the targets that have the parameter', async () => {
    expect(await ids('Observation', 'subject.family=muller')).toEqual(['Observation/o1']);
  });

  it('chains through references to the organisation by name', async () => {
    expect(await ids('Encounter', 'service-provider:Organization.name=charite')).toEqual(['Encounter/e1']);
  });

  it('_has finds Patients by what references them', async () => {
    expect(await ids('Patient', '_has:Observation:patient:code=http://loinc.org|2345-7')).toEqual(['Patient/p2', 'Patient/p5']);
  });

  it('the cohort: born before 1976, type-2 diabetes, an HbA1c above 8 % — in one query', async () => {
    const query = [
      'birthdate=lt1976',
      '_has:Condition:patient:code=http://snomed.info/sct|44054006',
      // code and value on the same Observation (composite), so p5's glucose 9.9 % does not count.
      '_has:Observation:patient:code-value-quantity=http://loinc.org|4548-4$gt8|http://unitsofmeasure.org|%25',
    ].join('&');
    expect(await ids('Patient', query)).toEqual(['Patient/p1', 'Patient/p3']);
  });

  it('_has ignores deleted referencing resources', async () => {
    await seed(t.db, [{ resourceType: 'Flag', id: 'f1', status: 'active', code: { text: 'x' }, subject: { reference: 'Patient/p2' } } as Resource]);
    expect(await ids('Patient', '_has:Flag:subject:_id=f1')).toEqual(['Patient/p2']);
    await markDeleted(t.db, 'Flag', 'f1');
    expect(await ids('Patient', '_has:Flag:subject:_id=f1')).toEqual([]);
  });

  it('_include adds the referenced resources with search.mode=include', async () => {
    const b = await search('Observation', '_id=o1,o2&_include=Observation:subject');
    expect(matchIds(b).sort()).toEqual(['Observation/o1', 'Observation/o2']);
    expect(included(b)).toEqual(['Patient/p1', 'Patient/p2']);
  });

  it('_include with a target type only follows references to that type', async () => {
    const b = await search('Patient', '_id=p1&_include=Patient:general-practitioner:Organization');
    expect(included(b)).toEqual([]);
  });

  it('_revinclude adds the resources that point at the matches', async () => {
    const b = await search('Patient', '_id=p2&_revinclude=Observation:subject');
    expect(included(b)).toEqual(['Observation/o2', 'Observation/o3']);
  });

  it('_include:iterate follows one more level from the included resources', async () => {
    const plain = await search('Observation', '_id=o1&_include=Observation:subject&_include=Patient:general-practitioner');
    expect(included(plain)).toEqual(['Patient/p1']);
    const iterated = await search('Observation', '_id=o1&_include=Observation:subject&_include:iterate=Patient:general-practitioner');
    expect(included(iterated)).toEqual(['Patient/p1', 'Practitioner/pr1']);
  });

  it('never includes deleted resources', async () => {
    const b = await search('Observation', '_id=o1&_include=Observation:subject');
    expect(included(b)).toEqual(['Patient/p1']);
    await seed(t.db, [{ resourceType: 'Observation', id: 'o9', status: 'final', code: { text: 'x' }, subject: { reference: 'Patient/p4' } } as Resource]);
    expect(included(await search('Observation', '_id=o9&_include=Observation:subject'))).toEqual([]);
  });

  it('drops included resources the access policy refuses and says so', async () => {
    const noPractitioners: SearchAccessPolicy = { isAdmin: false, can: (_i, type) => type !== 'Practitioner' };
    const b = await search('Patient', '_id=p1&_include=Patient:general-practitioner', noPractitioners);
    expect(matchIds(b)).toEqual(['Patient/p1']);
    expect(included(b)).toEqual([]);
    const outcome = b.entry?.find((e) => e.search?.mode === 'outcome');
    expect(JSON.stringify(outcome?.resource)).toContain('access policy');
  });

  it('rejects _include of a parameter that is not a reference', async () => {
    await expect(search('Patient', '_include=Patient:name')).rejects.toMatchObject({ code: 'CB_ERR_SEARCH_INVALID_PARAM' });
  });
});
