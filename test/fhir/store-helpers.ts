/** Shared setup for the store tests: a fresh database with the fhir migrations and a store on it. */
import type { Patient } from 'fhir/r4.js';
import { createLogger } from '../../src/logging/index.js';
import { createFhirStore, fhirMigrations, searchMigrations, type FhirStore } from '../../src/fhir/index.js';
import type { DatabaseKind } from '../../src/db/index.js';
import { openTestDatabase, type TestDatabase } from '../helpers/db.js';

export interface StoreFixture {
  readonly database: TestDatabase;
  readonly store: FhirStore;
}

export async function openStore(kind: DatabaseKind, options: { poolSize?: number } = {}): Promise<StoreFixture> {
  const database = await openTestDatabase(kind, [...fhirMigrations, ...searchMigrations], options);
  const store = createFhirStore({ db: database.db, logger: createLogger({ level: 'silent' }) });
  return { database, store };
}

export function patient(mrn: string, extra: Partial<Patient> = {}): Patient {
  return { resourceType: 'Patient', identifier: [{ system: 'urn:mrn', value: mrn }], name: [{ family: `Fam${mrn}`, given: ['Test'] }], ...extra };
}
