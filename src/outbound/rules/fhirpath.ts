/** @module FHIRPath compiled once per rule (R4 model), evaluated on a copy of the resource. */
import fhirpath from 'fhirpath';
import r4 from 'fhirpath/fhir-context/r4/index.js';
import type { CompiledPath } from './rule-types.js';

export function compilePath(expression: string): CompiledPath {
  const fn = fhirpath.compile(expression, r4 as Parameters<typeof fhirpath.compile>[1]);
  return (resource, vars) => {
    // fhirpath.js annotates what it walks; stored resources must stay clean.
    const copy = structuredClone(resource);
    return fn(copy, { resource: copy, ...vars } as Parameters<typeof fn>[1]) as unknown[];
  };
}

export function isTrue(result: readonly unknown[]): boolean {
  return result.length === 1 && result[0] === true;
}

export function pathError(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0]!.slice(0, 300);
}
