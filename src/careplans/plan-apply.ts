/**
 * @module Puts a plan into effect for one trigger, inside the caller's transaction: creates or
 * re-plans the CarePlan, its activity requests and the schedule rows; or revokes what is pending.
 * Done activities (sent, task created, not done, skipped) are never touched again.
 */
import type { CarePlan, CommunicationRequest, Task } from 'fhir/r4.js';
import type { AnyDb } from '../db/index.js';
import { dueAt } from './clock.js';
import {
  addNote, anchorOf, buildActivityRequest, buildCarePlan, moveRequest, reactivateRequest, requestTypeFor, revokeRequest, withStatus, type PlannedActivity,
} from './careplan-resources.js';
import { activityId } from './ids.js';
import type { CarePlanDefinition } from './plan-types.js';
import { careplanTables, FINAL_STATES, type CareplanActivityRow } from './schedule-table.js';
import { CAREPLAN_SOURCE, type CareplanStore } from './store-port.js';

export interface ApplyInput {
  readonly plan: CarePlanDefinition;
  readonly careplanId: string;
  /** What the CarePlan is for: `Encounter/1` or, for oncePer subject, the patient reference. */
  readonly key: string;
  readonly subject: string;
  readonly trigger: string;
  readonly anchor: Date;
  readonly now: Date;
}

export type ApplyOutcome = 'created' | 'rescheduled' | 'reactivated' | 'unchanged';

type Request = CommunicationRequest | Task;
const write = { source: CAREPLAN_SOURCE };

async function rowsOf(trx: AnyDb, careplanId: string): Promise<Map<string, CareplanActivityRow>> {
  const rows = await careplanTables(trx).selectFrom('careplan_activity').selectAll().where('careplan_id', '=', careplanId).execute();
  return new Map(rows.map((r) => [r.activity_key, r]));
}

export async function applyPlan(store: CareplanStore, trx: AnyDb, input: ApplyInput): Promise<ApplyOutcome> {
  const { plan, careplanId, now } = input;
  const existing = await store.readOrUndefined<CarePlan>('CarePlan', careplanId);
  const rows = await rowsOf(trx, careplanId);
  const planned: PlannedActivity[] = plan.activities.map((a) => ({
    definition: a,
    requestType: requestTypeFor(a),
    requestId: activityId(careplanId, a.id),
    dueAt: dueAt(input.anchor, a.offset),
  }));
  const anchorMoved = existing !== undefined && anchorOf(existing) !== input.anchor.toISOString();
  const wasStopped = existing !== undefined && existing.status !== 'active';
  const subjectMoved = existing !== undefined && existing.subject.reference !== input.subject;
  if (existing && !anchorMoved && !wasStopped && !subjectMoved && planned.every((p) => rows.has(p.definition.id))) return 'unchanged';

  const table = careplanTables(trx);
  const cpRef = { id: careplanId, subject: input.subject, trigger: input.trigger };
  for (const p of planned) {
    const row = rows.get(p.definition.id);
    // An activity meant to come before the anchor is pointless once the anchor has passed.
    const tooLate = p.dueAt < now && input.anchor <= now && p.dueAt < input.anchor;
    if (!row) {
      await store.update(buildActivityRequest(cpRef, p, now), write);
      await table
        .insertInto('careplan_activity')
        .values({
          id: p.requestId, careplan_id: careplanId, plan_id: plan.id, activity_key: p.definition.id, kind: p.definition.kind,
          patient_ref: input.subject, request_type: p.requestType, request_id: p.requestId, due_at: p.dueAt, run_at: p.dueAt,
          status: tooLate ? 'skipped' : 'pending', reason: tooLate ? 'anchor already passed when planned' : null, attempts: 0, updated_at: now,
        })
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
      continue;
    }
    if (FINAL_STATES.includes(row.status) && row.status !== 'revoked') continue;
    if (row.status === 'claimed') continue; // in flight in a scheduler right now; its outcome stands
    const request = await store.readOrUndefined<Request>(p.requestType, p.requestId);
    if (request) {
      let next = row.status === 'revoked' ? reactivateRequest(request) : request;
      next = moveRequest(next, p.dueAt);
      if (next.resourceType === 'Task') next = { ...next, for: { reference: input.subject } };
      else next = { ...next, subject: { reference: input.subject }, recipient: [{ reference: input.subject }] };
      await store.update(next, write);
    }
    await table
      .updateTable('careplan_activity')
      .set({ status: tooLate ? 'skipped' : 'pending', reason: tooLate ? 'anchor already passed when re-planned' : null, due_at: p.dueAt, run_at: p.dueAt, patient_ref: input.subject, updated_at: now })
      .where('id', '=', row.id)
      .where('status', 'in', ['pending', 'revoked'])
      .execute();
  }

  let careplan = buildCarePlan({ id: careplanId, plan, key: input.key, subject: input.subject, trigger: input.trigger, anchor: input.anchor, activities: planned, created: now }, existing);
  if (existing && anchorMoved) careplan = addNote(careplan, `Re-planned: ${input.trigger} moved the anchor from ${anchorOf(existing)} to ${input.anchor.toISOString()}; pending activities moved.`, now);
  if (existing && wasStopped) careplan = addNote(careplan, `Re-activated: ${input.trigger} meets the trigger again.`, now);
  await store.update(careplan, write);
  return !existing ? 'created' : wasStopped ? 'reactivated' : 'rescheduled';
}

/** Revokes the pending activities of a CarePlan and says why. Returns false when nothing was active. */
export async function revokePlan(store: CareplanStore, trx: AnyDb, careplanId: string, reason: string, now: Date): Promise<boolean> {
  const careplan = await store.readOrUndefined<CarePlan>('CarePlan', careplanId);
  if (!careplan || careplan.status !== 'active') return false;
  const table = careplanTables(trx);
  const pending = await table
    .updateTable('careplan_activity')
    .set({ status: 'revoked', reason, updated_at: now, claimed_by: null, claim_expires_at: null })
    .where('careplan_id', '=', careplanId)
    // A claimed row is in a scheduler right now; its send transaction re-checks the claim and
    // rolls back when the row was revoked meanwhile.
    .where('status', 'in', ['pending', 'claimed'])
    .returning(['request_type', 'request_id'])
    .execute();
  for (const r of pending) {
    const request = await store.readOrUndefined<Request>(r.request_type, r.request_id);
    if (request) await store.update(revokeRequest(request, reason), write);
  }
  await store.update(withStatus(careplan, 'revoked', `${reason} (${pending.length} pending activities revoked)`, now), write);
  return true;
}
