/**
 * @module Evaluating search-parameter expressions. The R4 expressions are mostly plain paths,
 * `(X as T)` / `X.as(T)` choice types and `X.where(resolve() is T)`; those are pre-simplified into a
 * path walk (fast, no model needed, and `resolve()` needs no database). Anything else goes to the
 * `fhirpath` engine with the R4 model. Each expression is compiled once and cached.
 */
import fhirpath from 'fhirpath';
import r4Model from 'fhirpath/fhir-context/r4/index.js';

export interface CompiledExpression {
  /** Values the expression selects (JSON elements or primitives). */
  evaluate(resource: object): unknown[];
  /** From `.where(resolve() is T)`: only references to this type count. */
  readonly resolveIs?: string;
}

interface PathStep {
  readonly name: string;
  /** Choice-type suffix from `as T` (`value` + `Quantity` → `valueQuantity`). */
  readonly as?: string;
}

const cache = new Map<string, CompiledExpression>();

export function compileExpression(expression: string): CompiledExpression {
  let compiled = cache.get(expression);
  if (!compiled) {
    compiled = compile(expression);
    cache.set(expression, compiled);
  }
  return compiled;
}

const RESOLVE_IS = /\.where\(resolve\(\) is (\w+)\)$/;
const SIMPLE_PATH = /^\w+(\.\w+)*$/;

function compile(expression: string): CompiledExpression {
  let text = expression.trim();
  let resolveIs: string | undefined;
  const resolveMatch = RESOLVE_IS.exec(text);
  if (resolveMatch) {
    resolveIs = resolveMatch[1];
    text = text.slice(0, resolveMatch.index);
  }
  const steps = toSteps(text);
  if (steps) return { evaluate: (r) => walk(r, steps), resolveIs };
  const fn = fhirpath.compile(text, r4Model);
  const engine = (r: object): unknown[] => {
    try {
      return fn(r) as unknown[];
    } catch {
      // An expression the engine cannot evaluate for this resource indexes nothing for it.
      return [];
    }
  };
  const special = specialForm(text, engine);
  if (special) return { evaluate: special, resolveIs };
  return { resolveIs, evaluate: engine };
}

const WHERE_EQUALS = /^(\w+(?:\.\w+)+)\.where\((\w+) ?= ?'([^'\\]*)'\)$/;
const EXISTS_NOT_FALSE = /^(\w+(?:\.\w+)+)\.exists\(\) and (\w+(?:\.\w+)+) != false$/;

/**
 * The two other shapes R4 uses (Patient/Practitioner email, phone and deceased), evaluated as the
 * engine would without it — it costs ~50-90 µs per resource each. Values outside the simple cases
 * (a non-string field, several deceased values) still go to the engine.
 */
function specialForm(text: string, engine: (r: object) => unknown[]): ((r: object) => unknown[]) | undefined {
  const where = WHERE_EQUALS.exec(text);
  if (where) {
    const steps = toSteps(where[1]!)!;
    const field = where[2]!;
    const literal = where[3]!;
    return (r) => {
      const nodes = walk(r, steps);
      const out: unknown[] = [];
      for (const node of nodes) {
        const value = node && typeof node === 'object' ? (node as Record<string, unknown>)[field] : undefined;
        if (value === undefined || value === null) continue;
        if (typeof value !== 'string') return engine(r);
        if (value === literal) out.push(node);
      }
      return out;
    };
  }
  const exists = EXISTS_NOT_FALSE.exec(text);
  if (exists && exists[1] === exists[2]) {
    const steps = toSteps(exists[1]!)!;
    return (r) => {
      const values = walk(r, steps);
      if (values.length === 0) return [false];
      if (values.length === 1 && (typeof values[0] === 'boolean' || typeof values[0] === 'string')) return [values[0] !== false];
      return engine(r);
    };
  }
  return undefined;
}

/** `Patient.name.given`, `(Observation.value as Quantity)`, `Condition.onset.as(Age)`, `(A.b as T).c`. */
function toSteps(text: string): PathStep[] | undefined {
  const asParen = /^\(([\w.]+) as (\w+)\)((?:\.\w+)*)$/.exec(text);
  if (asParen) return typedPath(asParen[1], asParen[2], asParen[3]);
  const asCall = /^([\w.]+)\.as\((\w+)\)((?:\.\w+)*)$/.exec(text);
  if (asCall) return typedPath(asCall[1], asCall[2], asCall[3]);
  if (SIMPLE_PATH.test(text)) return text.split('.').slice(1).map((name) => ({ name }));
  return undefined;
}

function typedPath(path: string, type: string, rest: string): PathStep[] | undefined {
  if (!SIMPLE_PATH.test(path)) return undefined;
  const steps = path.split('.').slice(1).map((name): PathStep => ({ name }));
  const last = steps.pop();
  if (!last) return undefined;
  steps.push({ name: last.name, as: type });
  for (const name of rest.split('.').filter(Boolean)) steps.push({ name });
  return steps;
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function walk(resource: object, steps: readonly PathStep[]): unknown[] {
  let nodes: unknown[] = [resource];
  for (const step of steps) {
    const next: unknown[] = [];
    for (const node of nodes) {
      if (!node || typeof node !== 'object') continue;
      const record = node as Record<string, unknown>;
      if (step.as) push(next, record[step.name + capitalise(step.as)]);
      else if (record[step.name] !== undefined) push(next, record[step.name]);
      else pushChoices(next, record, step.name);
    }
    nodes = next;
  }
  return nodes;
}

/** `effective` → every `effectiveDateTime`/`effectivePeriod`/... present. */
function pushChoices(out: unknown[], record: Record<string, unknown>, name: string): void {
  for (const key of Object.keys(record)) {
    if (key.length > name.length && key.startsWith(name) && /[A-Z]/.test(key.charAt(name.length))) push(out, record[key]);
  }
}

function push(out: unknown[], value: unknown): void {
  if (value === undefined || value === null) return;
  if (Array.isArray(value)) {
    for (const v of value) if (v !== undefined && v !== null) out.push(v);
  } else out.push(value);
}
