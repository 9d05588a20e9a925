/**
 * @module A compiled care-plan definition as a FHIR R4 PlanDefinition, stored so the API can read
 * it and `PlanDefinition/$apply` can name it. The trigger is a data-changed TriggerDefinition with
 * its FHIRPath condition; each activity's offset is `relatedAction.offsetDuration` after the anchor.
 */
import type { PlanDefinition, PlanDefinitionAction } from 'fhir/r4.js';
import { parseOffsetMs } from './clock.js';
import { CODE_SYSTEM, EXT_BASE } from './ids.js';
import type { CarePlanDefinition } from './plan-types.js';

export const EXT_SOURCE_HASH = `${EXT_BASE}/plan-source-hash`;
export const EXT_TEMPLATE = `${EXT_BASE}/message-template`;

function action(plan: CarePlanDefinition, i: number): PlanDefinitionAction {
  const a = plan.activities[i]!;
  const minutes = parseOffsetMs(a.offset) / 60_000;
  return {
    id: a.id,
    title: a.title,
    code: [{ coding: [{ system: CODE_SYSTEM, code: a.kind }] }],
    extension: Object.entries(a.templates).map(([language, text]) => ({
      url: EXT_TEMPLATE,
      extension: [{ url: 'language', valueCode: language }, { url: 'text', valueString: text }],
    })),
    relatedAction: [{ actionId: 'anchor', relationship: minutes < 0 ? 'before-start' : 'after-start', offsetDuration: { value: Math.abs(minutes), unit: 'min', system: 'http://unitsofmeasure.org', code: 'min' } }],
    type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/action-type', code: 'create' }] },
    ...(a.questionnaire ? { documentation: [{ type: 'documentation', url: a.questionnaire }] } : {}),
  };
}

export function toPlanDefinition(plan: CarePlanDefinition): PlanDefinition {
  return {
    resourceType: 'PlanDefinition',
    id: plan.id,
    url: plan.url,
    version: plan.version,
    name: plan.id.replace(/(^|-)([a-z])/g, (_m, _d, c: string) => c.toUpperCase()),
    title: plan.title,
    status: plan.status,
    ...(plan.description ? { description: plan.description } : {}),
    type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/plan-definition-type', code: 'workflow-definition' }] },
    extension: [{ url: EXT_SOURCE_HASH, valueString: `${plan.file}#${plan.hash}` }],
    action: [
      {
        id: 'anchor',
        title: `Anchor: ${plan.trigger.anchorExpression}`,
        trigger: [
          {
            type: 'data-changed',
            name: `${plan.trigger.resourceType} changed`,
            data: [{ type: plan.trigger.resourceType }],
            condition: { language: 'text/fhirpath', expression: plan.trigger.conditionExpression },
          },
        ],
        condition: [{ kind: 'applicability', expression: { language: 'text/fhirpath', expression: plan.trigger.conditionExpression } }],
      },
      ...plan.activities.map((_a, i) => action(plan, i)),
    ],
  };
}

/** True when the stored PlanDefinition was compiled from this very file content. */
export function isCurrent(stored: PlanDefinition | undefined, plan: CarePlanDefinition): boolean {
  return stored?.extension?.find((e) => e.url === EXT_SOURCE_HASH)?.valueString === `${plan.file}#${plan.hash}`;
}
