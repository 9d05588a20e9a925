/**
 * @module A rule (`to:` + value) → a setter closure that writes into the object being built.
 * Target paths are resolved against the FHIR R4 definitions at load; repeating elements collect
 * every produced value, single ones keep the first. Maps in use run as generated code
 * (codegen.ts), which shares ruleTarget/ruleExplain and mirrors these setters one for one; the
 * closures check segment maps no message map uses (loader).
 */
import { resolveFhirPath } from '../fhir-definitions.js';
import type { RuleSpec, ValueSpec } from '../types.js';
import { compileCondition, type Predicate } from './conditions.js';
import { fail, type CompileEnv, type PathContext } from './env.js';
import type { MapRun, Scope } from './runtime.js';
import { compileGetter, compileValue, type Getter, type Producer, type TargetType } from './values.js';

/** Returns whether the rule produced a value (then the object being built is not empty). */
export type Setter = (run: MapRun, scope: Scope, target: Record<string, unknown>) => boolean;

export interface Step { readonly name: string; readonly array: boolean; readonly index: number }

/** The setters run in order on a new object (or a resource body holding only `resourceType`). */
export function compileRules(env: CompileEnv, rules: readonly RuleSpec[], baseType: string, pc: PathContext): Setter[] {
  const out: Setter[] = [];
  const written = new Set<string>(['resourceType']);
  for (const r of rules) {
    const top = r.to.split('.')[0]!.replace(/\[\d+\]$/, '');
    const s = compileRule(env, r, baseType, pc, !written.has(top));
    written.add(top);
    if (s) out.push(s);
  }
  return out;
}

/**
 * `first`: no earlier rule of the list writes this top-level element, so it is still unset when
 * the rule runs and the setter need not read it first (a keyed load on objects of many shapes,
 * one of the costliest steps per rule).
 */
function compileRule(env: CompileEnv, rule: RuleSpec, baseType: string, pc: PathContext, first: boolean): Setter | undefined {
  const at = rule.source;
  const t = ruleTarget(env, rule, baseType);
  if (!t) return undefined;
  const { target, parents, last } = t;
  // A single-valued target reads one value (no array); a repeating one collects all.
  const produce: Producer | undefined = target.array ? compileValue(env, rule, target, pc, at) : undefined;
  const get: Getter | undefined = target.array ? undefined : compileGetter(env, rule, target, pc, at);
  const when = rule.when ? compileCondition(env, rule.when, pc, at) : undefined;
  const explain = ruleExplain(rule, pc);
  if (produce) return arraySetter(produce, when, parents, last, explain, first);
  return singleSetter(get!, when, parents, last, explain, first);
}

export interface RuleTarget {
  readonly target: TargetType;
  /** Steps above the element written (`communication` of `communication.language`). */
  readonly parents: readonly Step[];
  readonly last: Step;
}

/** A rule's `to:` resolved against the R4 definitions; undefined (error recorded) when it is not a path of `baseType`. */
export function ruleTarget(env: CompileEnv, rule: RuleSpec, baseType: string): RuleTarget | undefined {
  const resolved = resolveFhirPath(baseType, rule.to);
  if (typeof resolved === 'string') {
    fail(env, rule.source, `to: '${rule.to}': ${resolved}`);
    return undefined;
  }
  const steps: Step[] = rule.to.split('.').map((raw, i) => {
    const m = /\[(\d+)\]$/.exec(raw);
    return { name: resolved.steps[i]!.name, array: resolved.steps[i]!.array || !!m, index: m ? Number(m[1]) : -1 };
  });
  const target = { type: resolved.type, array: resolved.array && steps[steps.length - 1]!.index < 0, path: rule.to };
  return { target, parents: steps.slice(0, -1), last: steps[steps.length - 1]! };
}

/** The explain entry of a rule that set its element. */
export function ruleExplain(rule: RuleSpec, pc: PathContext): Explain {
  const label = `${rule.source.file}:${rule.source.line}`;
  // Explain shows where the value came from; relative segment paths get their segment (`PID-8`).
  const rel = (p: string) => (pc.kind === 'segment' && /^\d/.test(p) ? `${pc.segment}-${p}` : p);
  const paths = (v: ValueSpec): string[] => (v.from === undefined ? [] : typeof v.from === 'string' ? [v.from] : [...v.from]).map((p) => rel(String(p)));
  const allFrom = [...paths(rule), ...(rule.cases ?? []).flatMap(paths)];
  const from = allFrom.length ? [...new Set(allFrom)].join(' | ') : undefined;
  return (run: MapRun, scope: Scope): void => {
    // Only the rule that actually set the element is named (a later fallback rule is not).
    run.explain!.push({ resource: scope.inst.resourceType, path: `${run.prefix}${rule.to}`, rule: label, ...(from ? { from } : {}) });
  };
}

export type Explain = (run: MapRun, scope: Scope) => void;

/** A repeating element without an index (`identifier`, `name.given`): every produced value is appended. */
function arraySetter(produce: Producer, when: Predicate | undefined, parents: readonly Step[], last: Step, explain: Explain, first: boolean): Setter {
  const name = last.name;
  // The commonest shape, a top-level element, gets its own closure without the path walk.
  if (parents.length === 0 && first) {
    return (run, scope, obj) => {
      if (when !== undefined && !when(run, scope)) return false;
      const values = produce(run, scope);
      if (values.length === 0) return false;
      obj[name] = values.length === 1 ? [values[0]] : values.slice();
      if (run.explain) explain(run, scope);
      return true;
    };
  }
  if (parents.length === 0) {
    return (run, scope, obj) => {
      if (when !== undefined && !when(run, scope)) return false;
      const values = produce(run, scope);
      if (values.length === 0) return false;
      const arr = obj[name] as unknown[] | undefined;
      if (arr === undefined) obj[name] = values.length === 1 ? [values[0]] : values.slice();
      else for (let i = 0; i < values.length; i++) arr.push(values[i]);
      if (run.explain) explain(run, scope);
      return true;
    };
  }
  return (run, scope, obj) => {
    if (when && !when(run, scope)) return false;
    const values = produce(run, scope);
    if (values.length === 0) return false;
    let cur = obj;
    for (let i = 0; i < parents.length; i++) cur = child(cur, parents[i]!, run);
    const arr = (cur[name] ??= []) as unknown[];
    for (const v of values) arr.push(v);
    if (run.explain) explain(run, scope);
    return true;
  };
}

/** A single element, or one index of a repeating one (`coding[0].code`): the first value wins. */
function singleSetter(get: Getter, when: Predicate | undefined, parents: readonly Step[], last: Step, explain: Explain, first: boolean): Setter {
  const name = last.name;
  if (parents.length === 0 && last.index < 0 && first) {
    return (run, scope, obj) => {
      if (when !== undefined && !when(run, scope)) return false;
      const v = get(run, scope);
      if (v === undefined) return false;
      obj[name] = v;
      if (run.explain) explain(run, scope);
      return true;
    };
  }
  if (parents.length === 0 && last.index < 0) {
    return (run, scope, obj) => {
      if (when !== undefined && !when(run, scope)) return false;
      const v = get(run, scope);
      if (v === undefined) return false;
      if (obj[name] === undefined) {
        obj[name] = v;
        if (run.explain) explain(run, scope);
      }
      return true;
    };
  }
  const index = last.index;
  return (run, scope, obj) => {
    if (when !== undefined && !when(run, scope)) return false;
    const v = get(run, scope);
    if (v === undefined) return false;
    let cur = obj;
    for (let i = 0; i < parents.length; i++) cur = child(cur, parents[i]!, run);
    let wrote = true;
    if (index >= 0) {
      const arr = (cur[name] ??= []) as unknown[];
      if (index > arr.length) run.holes = true;
      if (arr[index] === undefined) arr[index] = v;
      else wrote = false;
    } else if (cur[name] === undefined) {
      cur[name] = v;
    } else wrote = false;
    if (run.explain && wrote) explain(run, scope);
    return true;
  };
}

function child(cur: Record<string, unknown>, step: Step, run: MapRun): Record<string, unknown> {
  if (!step.array) return (cur[step.name] ??= {}) as Record<string, unknown>;
  const arr = (cur[step.name] ??= []) as Array<Record<string, unknown> | undefined>;
  const i = step.index < 0 ? 0 : step.index;
  if (i > arr.length) run.holes = true;
  return (arr[i] ??= {});
}

/** Drop empty objects/arrays and array holes left by rules that produced nothing. */
export function prune(value: unknown): unknown {
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (const v of value) {
      const p = prune(v);
      if (p !== undefined) out.push(p);
    }
    return out.length ? out : undefined;
  }
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    let any = false;
    for (const k of Object.keys(obj)) {
      const p = prune(obj[k]);
      if (p === undefined) delete obj[k];
      else {
        obj[k] = p;
        any = true;
      }
    }
    return any ? obj : undefined;
  }
  return value === null || value === '' ? undefined : value;
}
