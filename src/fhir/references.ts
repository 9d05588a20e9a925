/** @module Rewriting `reference` strings inside a resource (urn:uuid and conditional references). */
import type { Resource } from 'fhir/r4.js';

/**
 * A deep copy of `r` in which every `reference` string `resolve` knows is replaced. `resolve`
 * returns the new reference, or undefined to keep the old one. It may throw (unresolvable).
 */
export async function rewriteReferences<T extends Resource>(r: T, resolve: (reference: string) => Promise<string | undefined>): Promise<T> {
  const walk = async (value: unknown): Promise<unknown> => {
    if (Array.isArray(value)) return Promise.all(value.map(walk));
    if (!value || typeof value !== 'object') return value;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (k === 'reference' && typeof v === 'string') out[k] = (await resolve(v)) ?? v;
      else out[k] = await walk(v);
    }
    return out;
  };
  return (await walk(r)) as T;
}

/** True for references that need resolving inside a bundle. */
export function needsResolution(reference: string): boolean {
  return reference.startsWith('urn:uuid:') || reference.startsWith('urn:oid:') || /^[A-Z][A-Za-z]+\?/.test(reference);
}

/** True when some `reference` in `value` still needs resolving (needsResolution). */
export function hasReferenceToResolve(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(hasReferenceToResolve);
  if (!value || typeof value !== 'object') return false;
  for (const [k, v] of Object.entries(value)) {
    if (k === 'reference' ? typeof v === 'string' && needsResolution(v) : hasReferenceToResolve(v)) return true;
  }
  return false;
}
