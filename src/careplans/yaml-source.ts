/**
 * @module Reads a YAML file keeping line numbers, validates it against a JSON Schema, and reports
 * every problem as `file:line: reason` (CB_ERR_PLAN_LOAD).
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { LineCounter, isCollection, parseDocument, type Document } from 'yaml';
import { CarebridgeError } from '../errors/index.js';

export interface SourceProblem {
  readonly line: number;
  readonly reason: string;
}

/** A parsed file that can point at the line of any path inside it. */
export class YamlSource {
  readonly file: string;
  readonly data: unknown;
  readonly #doc: Document;
  readonly #lines: LineCounter;

  private constructor(file: string, doc: Document, lines: LineCounter) {
    this.file = file;
    this.#doc = doc;
    this.#lines = lines;
    this.data = doc.toJS();
  }

  static parse(file: string, text: string): YamlSource {
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
    if (doc.errors.length) {
      const e = doc.errors[0]!;
      const line = lines.linePos(e.pos[0]).line;
      throw loadError(file, [{ line, reason: e.message.split('\n')[0]! }]);
    }
    return new YamlSource(file, doc, lines);
  }

  /** Line of the node at a path (`['activities', 2, 'offset']`); nearest existing parent otherwise. */
  lineOf(path: ReadonlyArray<string | number>): number {
    for (let n = path.length; n >= 0; n--) {
      const node = n === 0 ? this.#doc.contents : this.#doc.getIn(path.slice(0, n), true);
      const range = (node as { range?: [number, number, number] } | undefined)?.range;
      if (range) return this.#lines.linePos(range[0]).line;
      // A key whose value is null has no node; use the parent map's pair key position.
      if (n > 0) {
        const parent = n === 1 ? this.#doc.contents : this.#doc.getIn(path.slice(0, n - 1), true);
        if (isCollection(parent)) {
          const item = (parent.items as Array<{ key?: { value?: unknown; range?: [number, number, number] } }>).find((p) => p.key?.value === path[n - 1]);
          if (item?.key?.range) return this.#lines.linePos(item.key.range[0]).line;
        }
      }
    }
    return 1;
  }
}

export function loadError(file: string, problems: readonly SourceProblem[]): CarebridgeError {
  const text = problems.map((p) => `${file}:${p.line}: ${p.reason}`).join('\n');
  return new CarebridgeError('CB_ERR_PLAN_LOAD', text, { details: problems.map((p) => ({ location: `${file}:${p.line}`, diagnostics: p.reason })) });
}

const ajv = new Ajv({ allErrors: true, strict: false });
const compiled = new WeakMap<object, ValidateFunction>();

function describe(e: ErrorObject): string {
  const where = e.instancePath || '/';
  if (e.keyword === 'additionalProperties') return `${where}: unknown property "${(e.params as { additionalProperty: string }).additionalProperty}"`;
  if (e.keyword === 'required') return `${where}: missing required property "${(e.params as { missingProperty: string }).missingProperty}"`;
  if (e.keyword === 'enum') return `${where}: must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`;
  return `${where}: ${e.message ?? 'invalid'}`;
}

/** Validates `source.data` against `schema`; throws CB_ERR_PLAN_LOAD listing each problem with its line. */
export function validateAgainst(source: YamlSource, schema: object): void {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  if (validate(source.data)) return;
  const problems = (validate.errors ?? [])
    // `propertyNames` failures repeat as a generic error on the parent; keep the specific one.
    .filter((e) => e.keyword !== 'if')
    .map((e) => {
      const path = e.instancePath.split('/').slice(1).map((s) => (/^\d+$/.test(s) ? Number(s) : s.replace(/~1/g, '/').replace(/~0/g, '~')));
      if (e.keyword === 'additionalProperties') path.push((e.params as { additionalProperty: string }).additionalProperty);
      return { line: source.lineOf(path), reason: describe(e) };
    });
  throw loadError(source.file, dedupe(problems));
}

function dedupe(problems: SourceProblem[]): SourceProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => (seen.has(`${p.line}|${p.reason}`) ? false : (seen.add(`${p.line}|${p.reason}`), true)));
}
