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
  return {
    resolveIs,
    evaluate: (r) => {
      try {
        return fn(r) as unknown[];
      } catch {
        // An expression the engine cannot evaluate for this resource indexes nothing for it.
        return [];
      }
    },
  };
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
