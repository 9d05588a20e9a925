/**
 * @module Validation on every write: the FHIR R4 JSON schema (structure → 400) and the carebridge
 * profiles in fhir-profiles/ (rules → 422). Both name the element in issue.expression.
 */
import type { Resource } from 'fhir/r4.js';
import { CarebridgeError, type ErrorDetail } from '../../errors/index.js';
import { profileIssues } from './profiles.js';
import { isKnownResourceType, schemaIssues } from './schema.js';

export { isKnownResourceType, knownResourceTypes, pointerToPath } from './schema.js';
export { loadProfiles, type CarebridgeProfile, type ProfileConstraint } from './profiles.js';

export interface ValidationResult {
  readonly code?: 'CB_ERR_FHIR_INVALID_RESOURCE' | 'CB_ERR_FHIR_PROFILE_VIOLATION';
  readonly issues: readonly ErrorDetail[];
}

/** All problems of `value` as a resource, without throwing (for `$validate`). */
export function checkResource(value: unknown): ValidationResult {
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    return { code: 'CB_ERR_FHIR_INVALID_RESOURCE', issues: [{ diagnostics: 'Body must be a JSON object (a FHIR resource)' }] };
  }
  const type = (value as { resourceType?: unknown }).resourceType;
  if (typeof type !== 'string' || !isKnownResourceType(type)) {
    return { code: 'CB_ERR_FHIR_INVALID_RESOURCE', issues: [{ expression: 'resourceType', diagnostics: 'resourceType is missing or not an R4 resource type' }] };
  }
  const structural = schemaIssues(value as Resource);
  if (structural.length) return { code: 'CB_ERR_FHIR_INVALID_RESOURCE', issues: structural };
  const rules = profileIssues(value as Resource);
  const errors = rules.filter((i) => i.severity !== 'warning');
  return errors.length ? { code: 'CB_ERR_FHIR_PROFILE_VIOLATION', issues: rules } : { issues: rules };
}

/** Throws CB_ERR_FHIR_INVALID_RESOURCE (400) or CB_ERR_FHIR_PROFILE_VIOLATION (422). */
export function validateResource(value: unknown): void {
  const result = checkResource(value);
  if (!result.code) return;
  const first = result.issues[0];
  throw new CarebridgeError(result.code, first ? first.diagnostics : undefined, { details: result.issues });
}
