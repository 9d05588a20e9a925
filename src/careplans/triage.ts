/**
 * @module Replies to follow-ups: a Communication `inResponseTo` one of ours, or a
 * QuestionnaireResponse `basedOn` a CarePlan. Urgent → a high-priority Task for the care team and
 * a Flag on the patient; recovered → the next follow-up marked skipIfRecovered is skipped.
 */
import type { CarePlan, Communication, CommunicationRequest, Flag, QuestionnaireResponse, Resource, Task } from 'fhir/r4.js';
import type { AnyDb } from '../db/index.js';
import type { Logger } from '../logging/index.js';
import type { Clock } from './clock.js';
import { addNote, revokeRequest } from './careplan-resources.js';
import { CODE_SYSTEM, triageFlagId, triageTaskId } from './ids.js';
import type { PlanRegistry } from './plan-registry.js';
import { careplanTables } from './schedule-table.js';
import { CAREPLAN_SOURCE, type CareplanStore } from './store-port.js';
import { classifyReply, replyContent, type TriageDecision } from './triage-classify.js';

export interface TriageDeps {
  readonly registry: PlanRegistry;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly store: CareplanStore;
  readonly trx: AnyDb;
}

type Reply = Communication | QuestionnaireResponse;
const write = { source: CAREPLAN_SOURCE };

export function isReply(r: Resource): r is Reply {
  if (r.resourceType === 'Communication') return ((r as Communication).inResponseTo?.length ?? 0) > 0;
  if (r.resourceType === 'QuestionnaireResponse') return ((r as QuestionnaireResponse).basedOn ?? []).some((b) => b.reference?.startsWith('CarePlan/'));
  return false;
}

async function careplanOf(store: CareplanStore, reply: Reply): Promise<CarePlan | undefined> {
  let ref: string | undefined;
  if (reply.resourceType === 'QuestionnaireResponse') ref = reply.basedOn?.find((b) => b.reference?.startsWith('CarePlan/'))?.reference;
  else {
    for (const r of reply.inResponseTo ?? []) {
      const [type, id] = (r.reference ?? '').split('/');
      if (type !== 'Communication' || !id) continue;
      const ours = await store.readOrUndefined<Communication>('Communication', id);
      ref = ours?.basedOn?.find((b) => b.reference?.startsWith('CarePlan/'))?.reference;
      if (ref) break;
    }
  }
  const id = ref?.split('/')[1];
  return id ? store.readOrUndefined<CarePlan>('CarePlan', id) : undefined;
}

export async function triageReply(deps: TriageDeps, reply: Reply): Promise<TriageDecision | undefined> {
  const { store } = deps;
  const careplan = await careplanOf(store, reply);
  if (!careplan) return undefined;
  const replyRef = `${reply.resourceType}/${reply.id}`;
  if ((careplan.note ?? []).some((n) => n.text.includes(`Reply ${replyRef} `))) return undefined; // already triaged
  const decision = classifyReply(deps.registry.triageRules(), replyContent(reply));
  const now = deps.clock.now();
  let note = `Reply ${replyRef} triaged ${decision.level}${decision.rule ? ` (rule ${decision.rule})` : ''}`;
  if (decision.level === 'urgent') {
    const { task, flag } = urgentResources(careplan, reply, decision, now);
    await store.update(task, write);
    await store.update(flag, write);
    note += `: Task/${task.id}, Flag/${flag.id}`;
  } else if (decision.level === 'recovered') {
    const skipped = await skipNextIfRecovered(deps, careplan, replyRef, now);
    if (skipped) note += `: next follow-up ${skipped} skipped`;
  }
  await store.update(addNote(careplan, `${note}.`, now), write);
  deps.logger.info({ careplan: careplan.id, reply: replyRef, level: decision.level, rule: decision.rule }, 'follow-up reply triaged');
  return decision;
}

function urgentResources(careplan: CarePlan, reply: Reply, decision: TriageDecision, now: Date): { task: Task; flag: Flag } {
  const replyRef = `${reply.resourceType}/${reply.id}`;
  const subject = careplan.subject;
  const task: Task = {
    resourceType: 'Task',
    id: triageTaskId(reply.resourceType, reply.id!),
    status: 'ready',
    intent: 'order',
    priority: 'urgent',
    code: { coding: [{ system: CODE_SYSTEM, code: 'urgent-reply-review' }], text: 'Review urgent follow-up reply' },
    description: `A follow-up reply was triaged urgent (rule ${decision.rule ?? 'n/a'}). Contact the patient now.`,
    basedOn: [{ reference: `CarePlan/${careplan.id}` }],
    focus: { reference: replyRef },
    for: subject,
    authoredOn: now.toISOString(),
    performerType: [{ text: 'care team' }],
  };
  const flag: Flag = {
    resourceType: 'Flag',
    id: triageFlagId(reply.resourceType, reply.id!),
    status: 'active',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/flag-category', code: 'clinical' }] }],
    code: { coding: [{ system: CODE_SYSTEM, code: 'urgent-follow-up-reply' }], text: 'Urgent follow-up reply: contact the patient' },
    subject,
    period: { start: now.toISOString() },
  };
  return { task, flag };
}

async function skipNextIfRecovered(deps: TriageDeps, careplan: CarePlan, replyRef: string, now: Date): Promise<string | undefined> {
  const next = await careplanTables(deps.trx)
    .selectFrom('careplan_activity')
    .selectAll()
    .where('careplan_id', '=', careplan.id!)
    .where('status', '=', 'pending')
    .orderBy('due_at')
    .limit(1)
    .executeTakeFirst();
  if (!next) return undefined;
  const plan = deps.registry.plan(next.plan_id);
  if (!plan?.activities.find((a) => a.id === next.activity_key)?.skipIfRecovered) return undefined;
  const reason = `skipped: ${replyRef} reports the patient recovered well`;
  const updated = await careplanTables(deps.trx)
    .updateTable('careplan_activity')
    .set({ status: 'skipped', reason, updated_at: now })
    .where('id', '=', next.id)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  if (!Number(updated.numUpdatedRows)) return undefined;
  const request = await deps.store.readOrUndefined<CommunicationRequest | Task>(next.request_type, next.request_id);
  if (request) await deps.store.update(revokeRequest(request, reason), write);
  return next.activity_key;
}
