/**
 * @module Patient merge (ADT^A40): when a Patient is marked `link.type = replaced-by`, its pending
 * activities and active CarePlans move to the surviving patient, and the CarePlan says so.
 */
import type { CarePlan, CommunicationRequest, Patient, Task } from 'fhir/r4.js';
import type { AnyDb } from '../db/index.js';
import type { Logger } from '../logging/index.js';
import { addNote } from './careplan-resources.js';
import { careplanTables } from './schedule-table.js';
import { CAREPLAN_SOURCE, type CareplanStore } from './store-port.js';

export function survivorOf(patient: Patient): string | undefined {
  const ref = patient.link?.find((l) => l.type === 'replaced-by')?.other.reference;
  return ref && /^Patient\/[A-Za-z0-9\-.]{1,64}$/.test(ref) && ref !== `Patient/${patient.id}` ? ref : undefined;
}

export async function movePatientActivities(store: CareplanStore, trx: AnyDb, from: string, to: string, now: Date, logger: Logger): Promise<number> {
  const moved = await careplanTables(trx)
    .updateTable('careplan_activity')
    .set({ patient_ref: to, updated_at: now })
    .where('patient_ref', '=', from)
    .where('status', 'in', ['pending', 'claimed'])
    .returning(['careplan_id', 'request_type', 'request_id'])
    .execute();
  const write = { source: CAREPLAN_SOURCE };
  for (const r of moved) {
    const request = await store.readOrUndefined<CommunicationRequest | Task>(r.request_type, r.request_id);
    if (!request) continue;
    if (request.resourceType === 'Task') await store.update({ ...request, for: { reference: to } }, write);
    else await store.update({ ...request, subject: { reference: to }, recipient: [{ reference: to }] }, write);
  }
  for (const id of new Set(moved.map((r) => r.careplan_id))) {
    const careplan = await store.readOrUndefined<CarePlan>('CarePlan', id);
    if (!careplan || careplan.subject.reference !== from) continue;
    await store.update(addNote({ ...careplan, subject: { reference: to } }, `Patient merged: ${from} was merged into ${to} (e.g. ADT^A40); pending activities moved.`, now), write);
  }
  if (moved.length) logger.info({ from, to, activities: moved.length }, 'care-plan activities moved to surviving patient');
  return moved.length;
}
