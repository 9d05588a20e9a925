/**
 * @module Patient erasure (right to be forgotten): removes the Patient and every resource that
 * refers to it (directly, or through a resource already being erased — e.g. a DiagnosticReport's
 * Observations), with all their versions and search-index rows (store.purge), and the patient's
 * raw HL7 v2 messages (intake's purgePatientMessages). The AuditEvent left behind names only
 * `Patient/<id>`, never content.
 *
 * Shared resources that other patients also point at are never erased (Practitioner,
 * Organization, Location, Group …), and AuditEvents stay: they hold ids and digests only.
 */
import type { Patient, Resource } from 'fhir/r4.js';
import { sql, type AnyDb } from '../db/index.js';
import { CarebridgeError } from '../errors/index.js';
import type { AccessEvent, AuthStore } from './types.js';

/** Types never erased with a patient: shared by many patients, or the audit trail itself. */
const KEEP_TYPES = new Set([
  'AuditEvent', 'Group', 'Practitioner', 'PractitionerRole', 'Organization', 'Location', 'HealthcareService',
  'Endpoint', 'Device', 'Medication', 'Substance', 'PlanDefinition', 'ActivityDefinition', 'Questionnaire',
  'ValueSet', 'CodeSystem', 'StructureDefinition', 'SearchParameter', 'Subscription', 'Library',
]);
const MAX_DEPTH = 4;
const ID = /^[A-Za-z0-9\-.]{1,64}$/;

/** What other rooms get to erase their own copies (raw messages, outbox payloads …). */
export interface ErasureSubject {
  readonly patientId: string;
  /** `value` and `system|value` of each Patient identifier (intake files messages by PID-3). */
  readonly patientKeys: readonly string[];
  /** `Type/id` of every resource being erased, the Patient included. */
  readonly references: readonly string[];
}

/** A room's erasure step; returns how many of its rows it removed. */
export interface ErasurePurger {
  readonly name: string;
  purge(subject: ErasureSubject): Promise<number>;
}

export interface EraseDeps {
  readonly db: AnyDb;
  readonly store: Pick<AuthStore, 'purge'>;
  /** The intake's door: deletes raw messages for one patient key; returns how many. */
  readonly purgePatientMessages?: (patientKey: string) => Promise<number>;
  /** Further rooms' erasure steps (e.g. outbound payloads), run before the resources go. */
  readonly purgers?: readonly ErasurePurger[];
  readonly onAccess?: (e: AccessEvent) => void;
}

export interface EraseReport {
  readonly patientId: string;
  /** Resources purged, by type (counts only). */
  readonly resources: Record<string, number>;
  /** Raw HL7 messages removed, or null when no message store door was given. */
  readonly messages: number | null;
  /** Rows removed by each further purger, by name. */
  readonly other: Record<string, number>;
}

interface Ref {
  readonly type: string;
  readonly id: string;
}

export async function erasePatient(deps: EraseDeps, patientId: string, actor: { clientId?: string; ip?: string } = {}): Promise<EraseReport> {
  if (!ID.test(patientId)) throw new CarebridgeError('CB_ERR_BAD_REQUEST', 'invalid patient id');
  const patient = await latestVersion<Patient>(deps.db, 'Patient', patientId);
  if (!patient) throw new CarebridgeError('CB_ERR_NOT_FOUND', `Patient/${patientId} not found`);
  const targets = await collectErasable(deps.db, { type: 'Patient', id: patientId });
  // Keys first: once the Patient row is gone its identifiers can no longer be read.
  const keys = patientKeys(patient);
  let messages: number | null = null;
  if (deps.purgePatientMessages) {
    messages = 0;
    for (const k of keys) messages += await deps.purgePatientMessages(k);
  }
  const subject: ErasureSubject = { patientId, patientKeys: keys, references: targets.map((t) => `${t.type}/${t.id}`) };
  const other: Record<string, number> = {};
  for (const p of deps.purgers ?? []) other[p.name] = (other[p.name] ?? 0) + (await p.purge(subject));
  const resources: Record<string, number> = {};
  for (const t of targets) {
    await deps.store.purge(t.type, t.id);
    resources[t.type] = (resources[t.type] ?? 0) + 1;
  }
  deps.onAccess?.({ interaction: 'erase', resourceType: 'Patient', id: patientId, status: 200, ...actor });
  return { patientId, resources, messages, other };
}

/** The identifier keys intake may have filed the patient's messages under (`system|value` and `value`). */
export function patientKeys(patient: Patient): string[] {
  const keys = new Set<string>();
  for (const i of patient.identifier ?? []) {
    if (!i.value) continue;
    keys.add(i.value);
    if (i.system) keys.add(`${i.system}|${i.value}`);
  }
  return [...keys];
}

async function latestVersion<T extends Resource>(db: AnyDb, type: string, id: string): Promise<T | undefined> {
  const current = await sql<{ content: T; deleted: boolean }>`select content, deleted from fhir_resource where resource_type = ${type} and id = ${id}`.execute(db);
  const row = current.rows[0];
  if (row && !row.deleted) return row.content;
  // Deleted (or only in history): the last version that had content.
  const hist = await sql<{ content: T }>`select content from fhir_resource_history
    where resource_type = ${type} and id = ${id} and not deleted order by version_id desc limit 1`.execute(db);
  return hist.rows[0]?.content;
}

/**
 * The patient plus everything that refers to it, transitively, in current rows or history — but
 * never a resource that also belongs to ANOTHER patient (a newborn's Encounter that is `partOf`
 * the mother's, an Appointment with two patients): erasing one person must not cut into
 * another's record. Such shared resources are kept with a dangling reference. Patient records
 * linked to this one (`Patient.link`: merged or see-also records) are the same person and go too.
 */
async function collectErasable(db: AnyDb, root: Ref): Promise<Ref[]> {
  const found = new Map<string, Ref>([[`${root.type}/${root.id}`, root]]);
  const samePerson = new Set([root.id]);
  let frontier: Ref[] = [root];
  for (let depth = 0; depth < MAX_DEPTH && frontier.length; depth++) {
    const patterns = frontier.flatMap((r) => [`%"${r.type}/${r.id}"%`, `%/${r.type}/${r.id}"%`]);
    // Both tables: a resource whose current version no longer points at the patient may still hold it in history.
    const rows = await sql<Ref & { text: string }>`
      select resource_type as type, id, content::text as text from fhir_resource where content::text like any(${patterns})
      union all
      select resource_type as type, id, content::text as text from fhir_resource_history where content::text like any(${patterns})`.execute(db);
    const candidates = new Map<string, { ref: Ref; texts: string[] }>();
    for (const r of rows.rows) {
      const key = `${r.type}/${r.id}`;
      if (KEEP_TYPES.has(r.type) || found.has(key)) continue;
      const c = candidates.get(key) ?? { ref: { type: r.type, id: r.id }, texts: [] };
      c.texts.push(r.text);
      candidates.set(key, c);
    }
    // Linked Patient records first, so their own resources count as this person's.
    for (const c of candidates.values()) if (c.ref.type === 'Patient') samePerson.add(c.ref.id);
    frontier = [];
    for (const [key, c] of candidates) {
      if (c.ref.type !== 'Patient' && c.texts.some((t) => referencesOtherPatient(t, samePerson))) continue;
      found.set(key, c.ref);
      frontier.push(c.ref);
    }
  }
  return [...found.values()];
}

const PATIENT_REFERENCE = /"reference"\s*:\s*"(?:[^"]*\/)?Patient\/([A-Za-z0-9\-.]{1,64})"/g;

function referencesOtherPatient(text: string, samePerson: ReadonlySet<string>): boolean {
  for (const m of text.matchAll(PATIENT_REFERENCE)) if (!samePerson.has(m[1]!)) return true;
  return false;
}
