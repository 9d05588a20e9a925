/**
 * @module A datatype map (kind: datatype) → a builder that turns one v2 value node (a field
 * repetition or a component) into one FHIR value (Identifier, HumanName, …) or resource body.
 */
import type { DatatypeMapSpec, SourceRef } from '../types.js';
import { isKnownFhirType } from '../fhir-definitions.js';
import { fail, type CompileEnv } from './env.js';
import { compileRules, type Setter } from './rules.js';
import type { MapRun, Scope } from './runtime.js';

export type Builder = (run: MapRun, scope: Scope) => Record<string, unknown> | undefined;

export function compileDatatypeBuilder(env: CompileEnv, dt: DatatypeMapSpec, at: SourceRef): Builder {
  if (env.stack.includes(dt.id)) {
    fail(env, at, `datatype map '${dt.id}' uses itself (${[...env.stack, dt.id].join(' → ')})`);
    return () => undefined;
  }
  if (!isKnownFhirType(dt.fhir)) {
    fail(env, dt.source, `fhir: '${dt.fhir}' is not a FHIR R4 type or backbone element`);
    return () => undefined;
  }
  env.stack.push(dt.id);
  let setters: Setter[];
  try {
    setters = compileRules(env, dt.rules, dt.fhir, { kind: 'node', v2Types: dt.v2 });
  } finally {
    env.stack.pop();
  }
  return buildWith(setters);
}

export function buildWith(setters: readonly Setter[]): Builder {
  return (run, scope) => {
    const obj: Record<string, unknown> = {};
    for (const s of setters) s(run, scope, obj);
    for (const k in obj) return obj;
    return undefined;
  };
}
