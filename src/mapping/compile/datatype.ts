/**
 * @module A datatype map (kind: datatype) → a builder that turns one v2 value node (a field
 * repetition or a component) into one FHIR value (Identifier, HumanName, …) or resource body.
 * The builder is generated code (codegen.ts).
 */
import type { DatatypeMapSpec, SourceRef } from '../types.js';
import { isKnownFhirType } from '../fhir-definitions.js';
import { fail, type CompileEnv } from './env.js';
import { generateBuilder } from './codegen.js';
import type { MapRun, Scope } from './runtime.js';

/** `into`: the object to fill (a resource body already holding `resourceType`), else a new one. */
export type Builder = (run: MapRun, scope: Scope, into?: Record<string, unknown>) => Record<string, unknown> | undefined;

/** `only`: compile just the rules whose target starts at one of these elements. */
export function compileDatatypeBuilder(env: CompileEnv, dt: DatatypeMapSpec, at: SourceRef, only?: readonly string[]): Builder {
  if (env.stack.includes(dt.id)) {
    fail(env, at, `datatype map '${dt.id}' uses itself (${[...env.stack, dt.id].join(' → ')})`);
    return () => undefined;
  }
  if (!isKnownFhirType(dt.fhir)) {
    fail(env, dt.source, `fhir: '${dt.fhir}' is not a FHIR R4 type or backbone element`);
    return () => undefined;
  }
  env.stack.push(dt.id);
  try {
    const rules = only ? dt.rules.filter((r) => only.includes(r.to.split('.')[0]!.replace(/\[\d+\]$/, ''))) : dt.rules;
    return generateBuilder(env, rules, dt.fhir, { kind: 'node', v2Types: dt.v2 }, only ? `${dt.id}_${only.join('_')}` : dt.id);
  } finally {
    env.stack.pop();
  }
}
