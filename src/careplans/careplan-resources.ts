/** @module Builders of the FHIR resources a planned care plan is made of. */
import type { CarePlan, CommunicationRequest, Reference, Task } from 'fhir/r4.js';
import { CAREPLAN_IDENTIFIER_SYSTEM, CODE_SYSTEM, EXT_ACTIVITY_KEY, EXT_ANCHOR, EXT_STATUS_REASON } from './ids.js';
import type { ActivityDefinition, CarePlanDefinition } from './plan-types.js';

export interface PlannedActivity {
  readonly definition: ActivityDefinition;
  readonly requestType: 'CommunicationRequest' | 'Task';
  readonly requestId: string;
  readonly dueAt: Date;
}

export interface CarePlanInput {
  readonly id: string;
  readonly plan: CarePlanDefinition;
  readonly key: string;
  readonly subject: string;
  readonly trigger: string;
  readonly anchor: Date;
  readonly activities: readonly PlannedActivity[];
  readonly created: Date;
}

export const requestTypeFor = (a: ActivityDefinition): 'CommunicationRequest' | 'Task' => (a.kind === 'call' ? 'Task' : 'CommunicationRequest');

export function buildCarePlan(input: CarePlanInput, previous?: CarePlan): CarePlan {
  const due = input.activities.map((a) => a.dueAt.getTime());
  const ends = [input.anchor.getTime(), ...due];
  return {
    resourceType: 'CarePlan',
    id: input.id,
    extension: [{ url: EXT_ANCHOR, valueDateTime: input.anchor.toISOString() }],
    identifier: [{ system: CAREPLAN_IDENTIFIER_SYSTEM, value: `${input.plan.id}|${input.key}` }],
    instantiatesCanonical: [`${input.plan.url}|${input.plan.version}`],
    status: 'active',
    intent: 'plan',
    title: input.plan.title,
    subject: { reference: input.subject },
    period: { start: new Date(Math.min(...ends)).toISOString(), end: new Date(Math.max(...ends)).toISOString() },
    created: previous?.created ?? input.created.toISOString(),
    supportingInfo: [{ reference: input.trigger }],
    activity: input.activities.map((a) => ({ reference: { reference: `${a.requestType}/${a.requestId}`, display: a.definition.title } })),
    note: previous?.note,
  };
}

export function anchorOf(careplan: CarePlan): string | undefined {
  return careplan.extension?.find((e) => e.url === EXT_ANCHOR)?.valueDateTime;
}

/** A CarePlan that says why it stopped (note + status-reason extension). */
export function withStatus(careplan: CarePlan, status: CarePlan['status'], reason: string, at: Date): CarePlan {
  const ext = (careplan.extension ?? []).filter((e) => e.url !== EXT_STATUS_REASON);
  return {
    ...careplan,
    status,
    extension: [...ext, { url: EXT_STATUS_REASON, valueString: reason }],
    note: [...(careplan.note ?? []), { time: at.toISOString(), text: reason }],
  };
}

export function addNote(careplan: CarePlan, text: string, at: Date): CarePlan {
  return { ...careplan, note: [...(careplan.note ?? []), { time: at.toISOString(), text }] };
}

const activityExt = (a: ActivityDefinition) => [{ url: EXT_ACTIVITY_KEY, valueString: a.id }];

export function buildActivityRequest(cp: { id: string; subject: string; trigger: string }, a: PlannedActivity, at: Date): CommunicationRequest | Task {
  const basedOn: Reference[] = [{ reference: `CarePlan/${cp.id}` }];
  const subject = { reference: cp.subject };
  if (a.requestType === 'Task') {
    return {
      resourceType: 'Task',
      id: a.requestId,
      extension: activityExt(a.definition),
      basedOn,
      status: 'requested',
      businessStatus: { text: 'scheduled' },
      intent: 'plan',
      priority: 'routine',
      code: { coding: [{ system: CODE_SYSTEM, code: 'follow-up-call' }], text: a.definition.title },
      description: a.definition.title,
      for: subject,
      focus: { reference: cp.trigger },
      executionPeriod: { start: a.dueAt.toISOString() },
      authoredOn: at.toISOString(),
    };
  }
  return {
    resourceType: 'CommunicationRequest',
    id: a.requestId,
    extension: activityExt(a.definition),
    basedOn,
    status: 'active',
    priority: 'routine',
    category: [{ coding: [{ system: CODE_SYSTEM, code: a.definition.kind }], text: a.definition.title }],
    subject,
    recipient: [subject],
    about: [{ reference: cp.trigger }],
    occurrenceDateTime: a.dueAt.toISOString(),
    ...(a.definition.questionnaire ? { payload: [{ contentReference: { reference: a.definition.questionnaire } }] } : {}),
  };
}

/** The request with its due time moved (pending activities follow the anchor). */
export function moveRequest<T extends CommunicationRequest | Task>(request: T, dueAt: Date): T {
  if (request.resourceType === 'Task') return { ...request, executionPeriod: { ...request.executionPeriod, start: dueAt.toISOString() } };
  return { ...request, occurrenceDateTime: dueAt.toISOString() };
}

/** The request withdrawn (CommunicationRequest revoked / Task cancelled) with the reason. */
export function revokeRequest<T extends CommunicationRequest | Task>(request: T, reason: string): T {
  if (request.resourceType === 'Task') return { ...request, status: 'cancelled', statusReason: { text: reason } };
  return { ...request, status: 'revoked', statusReason: { text: reason } };
}

export function reactivateRequest<T extends CommunicationRequest | Task>(request: T): T {
  const copy = { ...request };
  delete copy.statusReason;
  if (copy.resourceType === 'Task') return { ...copy, status: 'requested' };
  return { ...copy, status: 'active' };
}
