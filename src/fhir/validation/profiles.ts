/**
 * @module carebridge profiles: small JSON files in fhir-profiles/ with FHIR-style constraints
 * (`key`, `human`, `expression` in FHIRPath, `element` naming the element at fault). Loaded once.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fhirpath from 'fhirpath';
import r4model from 'fhirpath/fhir-context/r4/index.js';
import type { Resource } from 'fhir/r4.js';
import type { ErrorDetail } from '../../errors/index.js';

export interface ProfileConstraint {
  readonly key: string;
  readonly human: string;
  readonly expression: string;
  /** FHIRPath of the element reported in OperationOutcome.issue.expression, e.g. `Patient.identifier`. */
  readonly element: string;
  readonly severity?: 'error' | 'warning';
}

export interface CarebridgeProfile {
  readonly name: string;
  readonly resourceType: string;
  readonly description?: string;
  readonly constraints: readonly ProfileConstraint[];
}

interface CompiledConstraint extends ProfileConstraint {
  readonly profile: string;
  readonly evaluate: (r: Resource) => unknown[];
}

export const DEFAULT_PROFILES_DIR = new URL('../../../fhir-profiles/', import.meta.url).pathname;

let compiled: Map<string, CompiledConstraint[]> | undefined;

/** Loads and compiles every profile in `dir`; a broken file fails loudly with its name. */
export function loadProfiles(dir: string = DEFAULT_PROFILES_DIR): Map<string, CompiledConstraint[]> {
  const byType = new Map<string, CompiledConstraint[]>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    let profile: CarebridgeProfile;
    try {
      profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CarebridgeProfile;
      if (!profile.resourceType || !Array.isArray(profile.constraints)) throw new Error('needs resourceType and constraints[]');
      const list = byType.get(profile.resourceType) ?? [];
      for (const c of profile.constraints) {
        const fn = fhirpath.compile(c.expression, r4model);
        list.push({ ...c, profile: profile.name, evaluate: (r) => fn(r) as unknown[] });
      }
      byType.set(profile.resourceType, list);
    } catch (err) {
      throw new Error(`fhir-profiles/${file}: ${(err as Error).message}`, { cause: err });
    }
  }
  return byType;
}

/** Constraint violations of `r` against the carebridge profiles for its type. */
export function profileIssues(r: Resource): ErrorDetail[] {
  compiled ??= loadProfiles();
  const out: ErrorDetail[] = [];
  for (const c of compiled.get(r.resourceType) ?? []) {
    let ok: boolean;
    try {
      const result = c.evaluate(r);
      ok = result.length === 1 && result[0] === true;
    } catch {
      ok = false;
    }
    if (!ok) out.push({ expression: c.element, diagnostics: `${c.element}: ${c.human} (${c.profile} ${c.key})`, severity: c.severity ?? 'error' });
  }
  return out;
}
