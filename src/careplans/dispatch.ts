/**
 * @module What a due activity turns into: a Communication (in-progress for the outbound sync, or
 * not-done with a statusReason), a staff call Task, or a wait until quiet hours end. Pure: the
 * scheduler reads the inputs and writes the result.
 */
import type { Communication, HumanName, Patient, Task } from 'fhir/r4.js';
import { parseOffsetMs } from './clock.js';
import { chooseContact } from './contact-choice.js';
import { ACTIVITY_IDENTIFIER_SYSTEM, CODE_SYSTEM, EXT_ACTIVITY_KEY, EXT_CHANNEL, communicationId, staffTaskId } from './ids.js';
import { formatLocal, nextAllowedTime } from './local-time.js';
import type { Channel } from './plan-schema.js';
import type { ActivityDefinition, CarePlanDefinition } from './plan-types.js';
import type { CareplanActivityRow } from './schedule-table.js';
import type { ContactDecision } from './store-port.js';
import { pickLanguage, renderTemplate, type TemplateValues } from './template.js';

export type DispatchDecision =
  | { readonly kind: 'defer'; readonly until: Date; readonly reason: string }
  | { readonly kind: 'communication'; readonly communication: Communication; readonly status: 'sent' | 'not-done'; readonly reason?: string }
  | { readonly kind: 'task'; readonly task: Task; readonly reason: string };

/** What a decision is made from (everything but consent). */
export type DispatchFacts = Omit<DispatchInput, 'consent'>;

export interface DispatchInput {
  readonly row: CareplanActivityRow;
  readonly plan: CarePlanDefinition;
  readonly activity: ActivityDefinition;
  readonly patient: Patient | undefined;
  readonly now: Date;
  /** Consent for the chosen channel; asked only when a message would be sent. */
  readonly consent: (channel: Channel) => Promise<ContactDecision>;
}

const MEDIUM: Record<Channel, string> = { sms: 'SMSWRIT', email: 'EMAILWRIT', app: 'ONLINEWRIT', phone: 'PHONE' };

function displayName(names: HumanName[] | undefined, language: string): { name: string; family: string; given: string } {
  const n = names?.find((x) => x.use === 'official') ?? names?.[0];
  const family = n?.family ?? '';
  const given = (n?.given ?? []).join(' ');
  // Chinese names read family-first without a space.
  const name = n?.text ?? (language.toLowerCase().startsWith('zh') ? `${family}${given}` : [given, family].filter(Boolean).join(' '));
  return { name, family, given };
}

function templateValues(input: DispatchFacts, language: string, timeZone: string): TemplateValues {
  const anchor = new Date(input.row.due_at.getTime() - parseOffsetMs(input.activity.offset));
  const n = displayName(input.patient?.name, language);
  // Local times are computed only when the template names them (Intl formatting is the dear part).
  return {
    'patient.name': n.name,
    'patient.family': n.family,
    'patient.given': n.given,
    get 'anchor.time'() { return formatLocal(anchor, timeZone); },
    get 'appointment.start'() { return formatLocal(anchor, timeZone); },
    get 'due.time'() { return formatLocal(input.row.due_at, timeZone); },
    'plan.title': input.plan.title,
  };
}

export function staffCallTask(input: DispatchFacts, reason: string): Task {
  const { row, activity, now } = input;
  return {
    resourceType: 'Task',
    id: row.kind === 'call' ? row.request_id : staffTaskId(row.id),
    identifier: [{ system: ACTIVITY_IDENTIFIER_SYSTEM, value: row.id }],
    extension: [{ url: EXT_ACTIVITY_KEY, valueString: activity.id }],
    basedOn: [{ reference: `CarePlan/${row.careplan_id}` }, ...(row.kind === 'call' ? [] : [{ reference: `${row.request_type}/${row.request_id}` }])],
    status: 'ready',
    businessStatus: { text: 'due' },
    intent: 'order',
    priority: 'routine',
    code: { coding: [{ system: CODE_SYSTEM, code: 'follow-up-call' }], text: activity.title },
    description: `${activity.title}: ${reason}`,
    for: { reference: row.patient_ref },
    executionPeriod: { start: row.due_at.toISOString() },
    authoredOn: now.toISOString(),
    performerType: [{ text: 'care team' }],
  };
}

/**
 * What a due activity becomes, up to the consent question: a final decision, or — when a message
 * would go out — the channel to ask consent for and how the answer finishes the decision. Split
 * this way so the scheduler can ask consent for a whole batch at once.
 */
export type DispatchStep =
  | DispatchDecision
  | { readonly kind: 'ask-consent'; readonly channel: Channel; readonly finish: (consent: ContactDecision) => DispatchDecision };

export function dispatchStep(input: DispatchFacts): DispatchStep {
  const { row, plan, activity, patient, now } = input;
  if (activity.kind === 'call') return { kind: 'task', task: staffCallTask(input, 'scheduled call is due'), reason: 'call task due' };
  const choice = chooseContact(patient, plan, now);
  if (choice.staffCall) return { kind: 'task', task: staffCallTask(input, 'patient prefers a phone call'), reason: 'patient prefers a phone call' };
  if (plan.quietHours) {
    const next = nextAllowedTime(now, choice.timeZone, plan.quietHours);
    if (next.getTime() !== now.getTime()) return { kind: 'defer', until: next, reason: `quiet hours in ${choice.timeZone}` };
  }
  const template = pickLanguage(activity.templates, choice.language, plan.language);
  const text = template ? renderTemplate(template.value, templateValues(input, template.language, choice.timeZone)) : activity.title;
  const base: Communication = {
    resourceType: 'Communication',
    id: communicationId(row.id),
    identifier: [{ system: ACTIVITY_IDENTIFIER_SYSTEM, value: row.id }],
    extension: [{ url: EXT_ACTIVITY_KEY, valueString: activity.id }, ...(choice.channel ? [{ url: EXT_CHANNEL, valueCode: choice.channel }] : [])],
    basedOn: [{ reference: `${row.request_type}/${row.request_id}` }, { reference: `CarePlan/${row.careplan_id}` }],
    status: 'in-progress',
    category: [{ coding: [{ system: CODE_SYSTEM, code: activity.kind }], text: activity.title }],
    priority: 'routine',
    subject: { reference: row.patient_ref },
    recipient: [{ reference: row.patient_ref }],
    ...(choice.channel ? { medium: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationMode', code: MEDIUM[choice.channel] }] }] } : {}),
    payload: [
      { contentString: text },
      ...(activity.questionnaire ? [{ contentReference: { reference: activity.questionnaire } }] : []),
    ],
    ...(template ? { language: template.language } : {}),
  } as Communication;
  if (!choice.channel) return notDone(base, 'no-contact-channel', choice.reason ?? 'no contact channel');
  return {
    kind: 'ask-consent',
    channel: choice.channel,
    finish: (consent) =>
      consent.allowed
        ? { kind: 'communication', status: 'sent', communication: { ...base, sent: now.toISOString() } }
        : notDone(base, 'consent-denied', `contact not permitted: ${consent.reason}`),
  };
}

export async function decideDispatch(input: DispatchInput): Promise<DispatchDecision> {
  const step = dispatchStep(input);
  return step.kind === 'ask-consent' ? step.finish(await input.consent(step.channel)) : step;
}

function notDone(base: Communication, code: string, reason: string): DispatchDecision {
  return {
    kind: 'communication',
    status: 'not-done',
    reason,
    communication: { ...base, status: 'not-done', statusReason: { coding: [{ system: CODE_SYSTEM, code }], text: reason } },
  };
}
