/** @module FHIRPath compiled once per definition, evaluated with the R4 model. */
import fhirpath from 'fhirpath';
import r4 from 'fhirpath/fhir-context/r4/index.js';
import type { Resource } from 'fhir/r4.js';

export type FhirPathVariables = Record<string, unknown>;
export type CompiledPath = (resource: Resource, vars?: FhirPathVariables) => unknown[];

/** Compiles or throws the parser's message (first line). */
export function compilePath(expression: string): CompiledPath {
  const fn = fhirpath.compile(expression, r4 as Parameters<typeof fhirpath.compile>[1]);
  return (resource, vars = {}) => {
    // fhirpath.js annotates the objects it walks; give it a copy so stored resources stay clean.
    const copy = structuredClone(resource);
    return fn(copy, { resource: copy, ...vars } as Parameters<typeof fn>[1]) as unknown[];
  };
}

/** The first message line of a FHIRPath parse error. */
export function pathErrorMessage(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0]!.slice(0, 300);
}

/** FHIRPath truthiness for a trigger: a single `true`. */
export function isTrue(result: unknown[]): boolean {
  return result.length === 1 && result[0] === true;
}
