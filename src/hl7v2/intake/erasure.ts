/**
 * @module Patient erasure for the inbox: deletes every stored message of the patient, raw bytes
 * and metadata (the patient key holds the MRN). A message belongs to the patient when its
 * processing outcome lists the Patient, or when its PID-3 key is one of the patient's identifiers.
 */
import { sql } from 'kysely';
import type { AnyDb } from '../../db/index.js';

const CAREBRIDGE_AUTHORITY = 'urn:carebridge:assigning-authority:';

export interface InboxErasureSubject {
  /** Absent: erase by identifier keys only. */
  readonly patientId?: string;
  /** `value` and `system|value` of each Patient identifier. */
  readonly patientKeys: readonly string[];
}

/** `system|value` → the inbox's `authority|value` key, when the system names an assigning authority. */
function inboxKeyOf(patientKey: string): string | undefined {
  const bar = patientKey.lastIndexOf('|');
  if (bar < 0) return undefined; // a bare value is ambiguous across authorities: never erase on it
  const system = patientKey.slice(0, bar);
  const value = patientKey.slice(bar + 1);
  return system.startsWith(CAREBRIDGE_AUTHORITY) ? `${system.slice(CAREBRIDGE_AUTHORITY.length)}|${value}` : undefined;
}

export async function purgePatientInbox(db: AnyDb, subject: InboxErasureSubject): Promise<number> {
  const keys = subject.patientKeys.map(inboxKeyOf).filter((k): k is string => k !== undefined);
  const byOutcome = subject.patientId ? JSON.stringify({ resources: [{ resourceType: 'Patient', id: subject.patientId }] }) : null;
  const result = await sql`
    delete from hl7_inbox
    where (${byOutcome}::jsonb is not null and outcome @> ${byOutcome}::jsonb)
       or (cardinality(${keys}::text[]) > 0 and patient_key = any(${keys}::text[]))`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}
