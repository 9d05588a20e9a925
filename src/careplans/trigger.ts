/**
 * @module Evaluates a plan's trigger against a changed resource: loads the context variables it
 * declares (referenced resources, searches), then the condition, subject and anchor expressions.
 */
import type { Bundle, Reference, Resource } from 'fhir/r4.js';
import type { Logger } from '../logging/index.js';
import { isTrue, type FhirPathVariables } from './fhirpath-eval.js';
import type { CarePlanDefinition } from './plan-types.js';
import type { CareplanStore } from './store-port.js';

export interface TriggerResult {
  readonly matched: boolean;
  /** `Patient/…` (when the subject expression yields a patient reference). */
  readonly subject?: string;
  readonly anchor?: Date;
}

const EMPTY_BUNDLE: Bundle = { resourceType: 'Bundle', type: 'searchset', entry: [] };

async function loadContext(plan: CarePlanDefinition, resource: Resource, store: CareplanStore): Promise<FhirPathVariables> {
  const vars: FhirPathVariables = {};
  for (const v of plan.trigger.context) {
    if (v.resolve) {
      const ref = v.resolve(resource)[0] as Reference | undefined;
      const [type, id] = (ref?.reference ?? '').split('/');
      // A missing referenced resource is an empty collection, not an error: the condition decides.
      vars[v.name] = type && id ? ((await store.readOrUndefined(type, id)) ?? []) : [];
    } else if (v.search) {
      const url = v.search.replaceAll('{{reference}}', `${resource.resourceType}/${resource.id}`).replaceAll('{{id}}', resource.id ?? '');
      const [type, query] = url.split('?') as [string, string];
      vars[v.name] = (await store.search(type, new URLSearchParams(query))) ?? EMPTY_BUNDLE;
    }
  }
  return vars;
}

export async function evaluateTrigger(plan: CarePlanDefinition, resource: Resource, store: CareplanStore, logger: Logger): Promise<TriggerResult> {
  const vars = await loadContext(plan, resource, store);
  let matched: boolean;
  try {
    matched = isTrue(plan.trigger.condition(resource, vars));
  } catch (err) {
    logger.warn({ plan: plan.id, resource: `${resource.resourceType}/${resource.id}`, err: { message: (err as Error).message } }, 'care-plan trigger failed to evaluate');
    return { matched: false };
  }
  return { matched, subject: subjectOf(plan, resource, vars), anchor: matched ? anchorOf(plan, resource, vars) : undefined };
}

export function subjectOf(plan: CarePlanDefinition, resource: Resource, vars: FhirPathVariables = {}): string | undefined {
  try {
    const ref = plan.trigger.subject(resource, vars)[0] as Reference | string | undefined;
    const text = typeof ref === 'string' ? ref : ref?.reference;
    return text && /^Patient\/[A-Za-z0-9\-.]{1,64}$/.test(text) ? text : undefined;
  } catch {
    return undefined;
  }
}

function anchorOf(plan: CarePlanDefinition, resource: Resource, vars: FhirPathVariables): Date | undefined {
  try {
    const value = plan.trigger.anchor(resource, vars)[0];
    const text = typeof value === 'string' ? value : value === undefined ? undefined : String(value);
    if (!text) return undefined;
    const at = new Date(text);
    return Number.isNaN(at.getTime()) ? undefined : at;
  } catch {
    return undefined;
  }
}
