/** @module The search parameters a type supports, for the CapabilityStatement. */
import type { SearchParameter } from 'fhir/r4.js';
import { parametersOf } from './parameters.js';

/** The official SearchParameter resources this server answers for `type` (own and common ones). */
export function searchParameterDefinitions(type: string): SearchParameter[] {
  return [...parametersOf(type).values()].map((def) => def.definition);
}
