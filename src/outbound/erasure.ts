/**
 * @module Patient erasure for the outbox: deletes queued and delivered outbound messages about the
 * patient (their payloads carry the patient's data), by ordering key or by the resource they carry.
 */
import { sql } from 'kysely';
import type { AnyDb } from '../db/index.js';

export interface OutboxErasureSubject {
  readonly patientId: string;
  /** `Type/id` of every resource being erased, the Patient included. */
  readonly references: readonly string[];
}

export async function purgePatientOutbox(db: AnyDb, subject: OutboxErasureSubject): Promise<number> {
  const refs = [...new Set([`Patient/${subject.patientId}`, ...subject.references])];
  const result = await sql`
    delete from outbound_message
    where ordering_key = any(${refs}::text[])
       or (resource_type || '/' || resource_id) = any(${refs}::text[])`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}
