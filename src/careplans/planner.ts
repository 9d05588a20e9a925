/**
 * @module The planner: a change-feed consumer. For each changed resource it finds the plans whose
 * trigger is on that type and (re-)plans or revokes; Patient merges move pending work to the
 * surviving patient; replies go to triage.
 */
import type { CarePlan, Patient, Resource } from 'fhir/r4.js';
import type { AnyDb } from '../db/index.js';
import type { Logger } from '../logging/index.js';
import type { Clock } from './clock.js';
import { careplanId } from './ids.js';
import { movePatientActivities, survivorOf } from './patient-merge.js';
import { applyPlan, revokePlan } from './plan-apply.js';
import type { PlanRegistry } from './plan-registry.js';
import type { CarePlanDefinition } from './plan-types.js';
import type { CareplanStore, ChangeEntry } from './store-port.js';
import { evaluateTrigger, subjectOf } from './trigger.js';
import { triageReply, isReply } from './triage.js';

export interface PlannerDeps {
  readonly registry: PlanRegistry;
  readonly logger: Logger;
  readonly clock: Clock;
}

/** Handles one batch of change-feed entries with a store bound to the consumer's transaction. */
export async function planChanges(deps: PlannerDeps, entries: readonly ChangeEntry[], store: CareplanStore, trx: AnyDb): Promise<void> {
  // Several entries of one resource in a batch: the current version is what counts, once.
  const seen = new Set<string>();
  const relevant = relevantTypes(deps.registry);
  for (const entry of [...entries].reverse()) {
    const key = `${entry.resourceType}/${entry.id}`;
    if (seen.has(key)) continue;
    seen.add(key);
    // Most of the feed (Practitioner, Location, Provenance …) concerns no plan: not even read.
    if (!relevant.has(entry.resourceType)) continue;
    // Our own writes never trigger plans (no loops); replies from the CRM come in as 'rest'/'outbound'.
    if (entry.source?.kind === 'careplan') continue;
    await planChange(deps, entry, store, trx);
  }
}

/** Resource types a change of which can matter: plan triggers, merges (Patient) and replies. */
function relevantTypes(registry: PlanRegistry): Set<string> {
  const types = new Set<string>(['Patient', 'Communication', 'QuestionnaireResponse']);
  for (const plan of registry.plans()) types.add(plan.trigger.resourceType);
  return types;
}

async function planChange(deps: PlannerDeps, entry: ChangeEntry, store: CareplanStore, trx: AnyDb): Promise<void> {
  const resource = entry.operation === 'delete' ? undefined : await store.readOrUndefined<Resource>(entry.resourceType, entry.id);
  const now = deps.clock.now();
  if (resource?.resourceType === 'Patient') {
    const survivor = survivorOf(resource as Patient);
    if (survivor) await movePatientActivities(store, trx, `Patient/${entry.id}`, survivor, now, deps.logger);
  }
  if (resource && isReply(resource)) await triageReply({ ...deps, store, trx }, resource);
  for (const plan of deps.registry.plans()) {
    if (plan.trigger.resourceType !== entry.resourceType) continue;
    await planOne(deps, plan, entry, resource, store, trx, now);
  }
}

async function planOne(deps: PlannerDeps, plan: CarePlanDefinition, entry: ChangeEntry, resource: Resource | undefined, store: CareplanStore, trx: AnyDb, now: Date): Promise<void> {
  const trigger = `${entry.resourceType}/${entry.id}`;
  const result = resource ? await evaluateTrigger(plan, resource, store, deps.logger) : { matched: false, subject: undefined, anchor: undefined };
  const subject = result.subject ?? (resource ? subjectOf(plan, resource) : undefined);
  const key = plan.trigger.oncePer === 'subject' ? subject : trigger;
  if (result.matched && result.subject && result.anchor && key) {
    const id = careplanId(plan.id, key);
    if (plan.trigger.oncePer === 'subject') {
      const existing = await store.readOrUndefined<CarePlan>('CarePlan', id);
      // One programme per patient: a later qualifying result does not restart or move it.
      if (existing?.status === 'active' && existing.supportingInfo?.[0]?.reference !== trigger) return;
    }
    const outcome = await applyPlan(store, trx, { plan, careplanId: id, key, subject: result.subject, trigger, anchor: result.anchor, now });
    if (outcome !== 'unchanged') deps.logger.info({ plan: plan.id, careplan: id, trigger, outcome }, 'care plan applied');
    return;
  }
  if (result.matched) {
    deps.logger.warn({ plan: plan.id, trigger, subject: Boolean(result.subject), anchor: Boolean(result.anchor) }, 'care-plan trigger matched without a patient subject or anchor time; not planned');
  }
  // Not (or no longer) matching: undo a plan this resource started, if any.
  if (plan.trigger.oncePer === 'subject' && !key) return;
  const id = careplanId(plan.id, key ?? trigger);
  const existing = await store.readOrUndefined<CarePlan>('CarePlan', id);
  if (!existing || existing.status !== 'active' || existing.supportingInfo?.[0]?.reference !== trigger) return;
  const reason = undoneReason(trigger, resource);
  if (await revokePlan(store, trx, id, reason, now)) deps.logger.info({ plan: plan.id, careplan: id, trigger }, 'care plan revoked');
}

/** Why a trigger no longer holds, in words a care coordinator understands. */
export function undoneReason(trigger: string, resource: Resource | undefined): string {
  if (!resource) return `${trigger} was deleted`;
  const status = (resource as { status?: string }).status;
  if (resource.resourceType === 'Encounter') {
    if (status === 'cancelled' || status === 'entered-in-error') return `${trigger} was cancelled (admission cancelled, e.g. ADT^A11); status ${status}`;
    if (status !== 'finished') return `${trigger} is no longer finished (discharge cancelled, e.g. ADT^A13); status ${status}`;
  }
  if (resource.resourceType === 'Appointment' && (status === 'cancelled' || status === 'noshow' || status === 'entered-in-error')) {
    return `${trigger} was cancelled (e.g. SIU^S15); status ${status}`;
  }
  return `${trigger} no longer meets the plan's trigger${status ? ` (status ${status})` : ''}`;
}
