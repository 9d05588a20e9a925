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
        const engine = (r: Resource) => fn(r) as unknown[];
        const plainlyTrue = shortcutOf(c.expression);
        list.push({ ...c, profile: profile.name, evaluate: plainlyTrue ? (r) => (plainlyTrue(r) ? [true] : engine(r)) : engine });
      }
      byType.set(profile.resourceType, list);
    } catch (err) {
      throw new Error(`fhir-profiles/${file}: ${(err as Error).message}`, { cause: err });
    }
  }
  return byType;
}

const PATH = '[a-z]\\w*(?:\\.[a-z]\\w*)*';
const EXISTS = new RegExp(`^(${PATH})\\.exists\\(\\)$`);
const ALL_EXIST = new RegExp(`^(${PATH})\\.all\\((${PATH})\\.exists\\(\\)\\)$`);

/**
 * `a.b.exists()` and `a.all(b.exists())` — the shapes of the carebridge profiles — decided
 * without the fhirpath engine (tens of µs per evaluation, on every write) when the answer is
 * plainly true: the path's elements are present in the JSON. Anything else (an absent element, a
 * primitive held only as `_value`, a choice type) goes to the engine, so no verdict differs from
 * it; paths start lower-case, so never at a type name. Undefined for other expressions.
 */
function shortcutOf(expression: string): ((r: Resource) => boolean) | undefined {
  const exists = EXISTS.exec(expression);
  if (exists) {
    const steps = exists[1]!.split('.');
    return (r) => present(r, steps);
  }
  const all = ALL_EXIST.exec(expression);
  if (all) {
    const outer = all[1]!.split('.');
    const inner = all[2]!.split('.');
    return (r) => {
      const items = elements(r, outer);
      return items !== undefined && items.every((item) => typeof item === 'object' && present(item as object, inner));
    };
  }
  return undefined;
}

/** The elements at `steps` below `node` (arrays flattened), or undefined where JSON nulls or `_` twins make it unclear. */
function elements(node: object, steps: readonly string[]): unknown[] | undefined {
  let nodes: unknown[] = [node];
  for (const step of steps) {
    const next: unknown[] = [];
    for (const n of nodes) {
      if (!n || typeof n !== 'object' || Array.isArray(n)) return undefined;
      const record = n as Record<string, unknown>;
      if (record[`_${step}`] !== undefined) return undefined;
      const value = record[step];
      if (value === null) return undefined;
      if (value === undefined) continue;
      if (!Array.isArray(value)) next.push(value);
      else for (const v of value) {
        if (v === null || v === undefined) return undefined;
        next.push(v);
      }
    }
    nodes = next;
  }
  return nodes;
}

function present(node: object, steps: readonly string[]): boolean {
  const found = elements(node, steps);
  return found !== undefined && found.length > 0;
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
