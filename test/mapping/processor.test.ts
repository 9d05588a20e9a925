/**
 * The mapping processor against a real FHIR store (PGlite always, PostgreSQL when DATABASE_URL is
 * set): idempotent re-sends, cancels changing state, A40 merge moving references, unmapped types.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Encounter, Patient, Practitioner } from 'fhir/r4.js';
import { createFhirStore, fhirMigrations, searchMigrations, type FhirStore } from '../../src/fhir/index.js';
import { parseMessage, type InboxMessage } from '../../src/hl7v2/index.js';
import { createLogger } from '../../src/logging/index.js';
import { createMappingProcessor, loadMappings, type MappingRegistry } from '../../src/mapping/index.js';
import { openTestDatabase, testDatabaseKinds, type TestDatabase } from '../helpers/db.js';

const root = new URL('../../', import.meta.url).pathname;
const fixture = (name: string) => parseMessage(readFileSync(`${root}fixtures/hl7/${name}`));
const logger = createLogger({ level: 'silent' });

function inboxFor(m: ReturnType<typeof parseMessage>): InboxMessage {
  const h = m.header;
  return { id: `in-${h.controlId}`, receivedAt: new Date(), sender: `${h.sendingApplication}|${h.sendingFacility}`, controlId: h.controlId, messageType: h.messageType, triggerEvent: h.triggerEvent, version: h.version };
}

describe.each(testDatabaseKinds())('mapping processor on %s', (kind) => {
  let db: TestDatabase;
  let store: FhirStore;
  let registry: MappingRegistry;
  let process: (file: string) => ReturnType<ReturnType<typeof createMappingProcessor>['process']>;

  beforeAll(async () => {
    db = await openTestDatabase(kind, [...fhirMigrations, ...searchMigrations]);
    store = createFhirStore({ db: db.db, logger });
    registry = await loadMappings(`${root}mappings`, logger);
    const processor = createMappingProcessor({ store, registry, logger });
    process = (file) => {
      const m = fixture(file);
      // As the intake calls it: inside the transaction that marks the message processed.
      return db.db.transaction().execute((trx) => processor.process(m, inboxFor(m), { db: trx }));
    };
  });
  afterAll(async () => {
    registry?.close();
    await db?.close();
  });

  const patientByMrn = async (mrn: string) =>
    (await store.search('Patient', new URLSearchParams({ identifier: `urn:carebridge:assigning-authority:GENHOSP|${mrn}` }))).entry?.map((e) => e.resource as Patient) ?? [];
  const encounterByVisit = async (visit: string) =>
    (await store.search('Encounter', new URLSearchParams({ identifier: `urn:carebridge:assigning-authority:GENHOSP|${visit}` }))).entry?.map((e) => e.resource as Encounter) ?? [];

  it('writes the A01 bundle and a re-send updates the same resources', async () => {
    const first = await process('adt-a01.hl7');
    expect(first.status).toBe('processed');
    const again = await process('adt-a01.hl7');
    expect(again.status).toBe('processed');
    const ids = (o: typeof first) => (o.status === 'processed' ? o.resources.map((r) => `${r.resourceType}/${r.id}`).sort() : []);
    expect(ids(again)).toEqual(ids(first));
    const patients = await patientByMrn('MRN12345');
    expect(patients).toHaveLength(1);
    expect(patients[0]!.meta?.tag?.some((t) => t.code === 'adt-a01' && t.system === 'https://carebridge.dev/fhir/CodeSystem/mapping' && !!t.version)).toBe(true);
    expect(patients[0]!.meta?.source).toBe('urn:carebridge:hl7v2:HIS%7CGENHOSP#A01-0001');
    const [enc] = await encounterByVisit('V0001');
    expect(enc?.status).toBe('in-progress');
    expect(enc?.subject?.reference).toBe(`Patient/${patients[0]!.id}`);
    // Two PV1-7 repetitions: one attender each, pointing at the Practitioner of that repetition.
    const attenders = await Promise.all(
      (enc?.participant ?? []).map(async (p) => {
        const [type, id] = p.individual!.reference!.split('/');
        return (await store.read<Practitioner>(type!, id!)).name?.[0]?.family;
      }),
    );
    expect(attenders).toEqual(['Smith', 'Jones']);
  });

  it('A11 cancels the admitted Encounter, A13 puts a discharge back in progress', async () => {
    await process('adt-a11.hl7');
    expect((await encounterByVisit('V0001'))[0]?.status).toBe('cancelled');
    await process('adt-a03.hl7');
    const discharged = (await encounterByVisit('V0001'))[0]!;
    expect(discharged.status).toBe('finished');
    expect(discharged.period?.end).toBe('2026-11-05T13:30:00+01:00');
    const procedures = await store.search('Procedure', new URLSearchParams({ encounter: `Encounter/${discharged.id}` }));
    expect(procedures.entry?.length).toBe(1);
    await process('adt-a13.hl7');
    const undone = (await encounterByVisit('V0001'))[0]!;
    expect(undone.status).toBe('in-progress');
    expect(undone.period?.end).toBeUndefined();
    expect((await encounterByVisit('V0001')).length).toBe(1);
  });

  it('A40 marks the old Patient replaced-by the survivor and moves its references', async () => {
    // The patient to be merged away, with an encounter of its own.
    const old = await store.create<Patient>({ resourceType: 'Patient', identifier: [{ system: 'urn:carebridge:assigning-authority:GENHOSP', value: 'MRN99999' }] });
    const enc = await store.create<Encounter>({ resourceType: 'Encounter', status: 'finished', class: { code: 'AMB' }, subject: { reference: `Patient/${old.resource.id}` } });
    const outcome = await process('adt-a40.hl7');
    expect(outcome.status).toBe('processed');
    const survivor = (await patientByMrn('MRN12345'))[0]!;
    const merged = await store.read<Patient>('Patient', old.resource.id!);
    expect(merged.active).toBe(false);
    expect(merged.link).toEqual([{ other: { reference: `Patient/${survivor.id}` }, type: 'replaced-by' }]);
    expect(survivor.link?.[0]).toEqual({ other: { reference: `Patient/${old.resource.id}` }, type: 'replaces' });
    const moved = await store.read<Encounter>('Encounter', enc.resource.id!);
    expect(moved.subject?.reference).toBe(`Patient/${survivor.id}`);
  });

  it('ORU, SIU and DFT messages write their resources; a DFT reversal changes state', async () => {
    for (const f of ['oru-r01.hl7', 'siu-s12.hl7', 'siu-s15.hl7', 'dft-p03.hl7']) expect((await process(f)).status).toBe('processed');
    const appts = await store.search('Appointment', new URLSearchParams({ identifier: 'urn:carebridge:assigning-authority:SCHED|F200' }));
    expect(appts.entry?.map((e) => (e.resource as { status: string }).status)).toEqual(['cancelled']);
    const obs = await store.search('Observation', new URLSearchParams({ code: 'http://loinc.org|4548-4' }));
    expect(obs.entry?.length).toBe(1);
    await process('dft-p03-reversal.hl7');
    const charges = await store.search('ChargeItem', new URLSearchParams({ identifier: 'urn:carebridge:ft1|MRN12345~TX-1001' }));
    expect(charges.entry?.map((e) => (e.resource as { status: string }).status)).toEqual(['entered-in-error']);
  });

  it('a message type without a map is unmapped, not an error', async () => {
    expect(await process('mfn-m02.hl7')).toEqual({ status: 'unmapped', reason: 'no mapping for MFN^M02' });
  });
});
