/**
 * @module Decides which rules a change triggers: resource type, operation, source filters, loop
 * prevention (a change written by a destination — source kind `outbound` naming it, or matching its
 * `skipSources` — is never sent back to it), then the FHIRPath `when` and `changed` tests.
 */
import type { Resource } from 'fhir/r4.js';
import type { OutboundChange } from '../payload/payload-context.js';
import { patientReference } from '../payload/patient-reference.js';
import { isTrue } from './fhirpath.js';
import type { DestinationSpec, OutboundRule, OutboundRuleSet, SourceMatcher } from './rule-types.js';

export interface RuleMatch {
  readonly rule: OutboundRule;
  readonly destination: DestinationSpec;
}

export function sourceMatches(m: SourceMatcher, s: OutboundChange['source']): boolean {
  if (!s) return false;
  return (m.kind === undefined || m.kind === s.kind) && (m.clientId === undefined || m.clientId === s.clientId)
    && (m.sender === undefined || m.sender === s.sender) && (m.destination === undefined || m.destination === s.destination);
}

/** True when the change came from this destination (or a source it lists as its own). */
export function isEcho(d: DestinationSpec, s: OutboundChange['source']): boolean {
  if (!s) return false;
  if ((s.kind === 'outbound' || s.kind === 'subscription') && s.destination === d.name) return true;
  return d.skipSources.some((m) => sourceMatches(m, s));
}

/** Rules whose type and operation fit, without evaluating FHIRPath (cheap pre-filter before reading the resource). */
export function candidateRules(set: OutboundRuleSet, resourceType: string, operation: OutboundChange['operation']): RuleMatch[] {
  const out: RuleMatch[] = [];
  for (const rule of set.rules) {
    if (rule.resourceType !== resourceType || !rule.operations.has(operation)) continue;
    const destination = set.destinations.find((d) => d.name === rule.destination);
    if (destination?.enabled) out.push({ rule, destination });
  }
  return out;
}

export function ruleApplies(m: RuleMatch, change: OutboundChange): boolean {
  if (isEcho(m.destination, change.source)) return false;
  if (m.rule.sources && !m.rule.sources.some((s) => sourceMatches(s, change.source))) return false;
  const vars = { previous: change.previous ?? {}, operation: change.operation };
  if (m.rule.when && !isTrue(m.rule.when(change.resource, vars))) return false;
  if (m.rule.changed && change.previous && change.operation === 'update') {
    const now = JSON.stringify(m.rule.changed(change.resource, vars));
    const before = JSON.stringify(m.rule.changed(change.previous, vars));
    if (now === before) return false;
  }
  return true;
}

/** The ordering key: the rule's FHIRPath (a reference or string), else the patient, else the resource. */
export function orderingKeyFor(rule: OutboundRule, resource: Resource): string {
  if (rule.orderingKey) {
    const v = rule.orderingKey(resource, {})[0] as { reference?: string } | string | undefined;
    const key = typeof v === 'string' ? v : v?.reference;
    if (key) return key;
  }
  return patientReference(resource) ?? `${resource.resourceType}/${resource.id}`;
}
