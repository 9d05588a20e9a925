/** @module The compiled shape of a care-plan definition (what the planner and scheduler use). */
import type { Channel, ActivityKind } from './plan-schema.js';
import type { CompiledPath } from './fhirpath-eval.js';
import type { QuietHours } from './local-time.js';

export interface ContextVariable {
  readonly name: string;
  readonly resolve?: CompiledPath;
  readonly resolveExpression?: string;
  /** Search template; `{{id}}` and `{{reference}}` are the changed resource. */
  readonly search?: string;
}

export interface PlanTrigger {
  readonly resourceType: string;
  readonly conditionExpression: string;
  readonly condition: CompiledPath;
  readonly subjectExpression: string;
  readonly subject: CompiledPath;
  readonly anchorExpression: string;
  readonly anchor: CompiledPath;
  readonly context: readonly ContextVariable[];
  /** One CarePlan per triggering resource, or one (active) per patient. */
  readonly oncePer: 'resource' | 'subject';
}

export interface ActivityDefinition {
  readonly id: string;
  readonly offset: string;
  readonly kind: ActivityKind;
  readonly title: string;
  readonly purpose: string;
  readonly questionnaire?: string;
  readonly skipIfRecovered: boolean;
  /** language tag → template */
  readonly templates: Readonly<Record<string, string>>;
}

export interface CarePlanDefinition {
  readonly id: string;
  readonly version: string;
  readonly title: string;
  readonly description?: string;
  readonly status: 'active' | 'draft' | 'retired';
  /** Canonical URL the CarePlans cite in `instantiatesCanonical`. */
  readonly url: string;
  readonly file: string;
  /** sha-256 of the file, first 16 hex chars. */
  readonly hash: string;
  readonly trigger: PlanTrigger;
  readonly language: string;
  readonly timeZone: string;
  readonly quietHours?: QuietHours;
  readonly channels: readonly Channel[];
  readonly elderlyAge?: number;
  readonly activities: readonly ActivityDefinition[];
}

export type TriageLevel = 'urgent' | 'routine' | 'recovered';

export interface TriageRule {
  readonly id: string;
  readonly level: TriageLevel;
  readonly file: string;
  readonly keywords: Readonly<Record<string, readonly string[]>>;
  readonly codes: ReadonlyArray<{ readonly system?: string; readonly code: string }>;
  readonly score?: { readonly linkId: string; readonly min?: number; readonly max?: number };
}

/** Canonical base for PlanDefinitions compiled from files. */
export const PLAN_CANONICAL_BASE = 'http://carebridge.example/fhir/PlanDefinition';
