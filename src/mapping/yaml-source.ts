/**
 * @module Reads one mapping YAML file keeping node positions, so every later error (schema, v2
 * path, FHIR path) can name the line it comes from.
 */
import { LineCounter, parseDocument, isNode, isScalar, isSeq, visit, type Document, type Scalar } from 'yaml';

/** Keys whose values are v2 paths: `4.10` must stay "4.10" (component 10), not the number 4.1. */
const PATH_KEYS = new Set(['from', 'present', 'absent', 'path', 'field']);
import type { MappingLoadError } from './types.js';

export interface YamlSource {
  readonly file: string;
  readonly data: unknown;
  /** 1-based line of the node at this path (`['rules', 3, 'to']`), or of its nearest parent. */
  lineOf(path: ReadonlyArray<string | number>): number;
}

export function readYamlSource(file: string, text: string): YamlSource | MappingLoadError {
  const lineCounter = new LineCounter();
  const doc: Document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, keepSourceTokens: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    return { file, line: lineCounter.linePos(e.pos[0]).line, reason: `YAML syntax: ${e.message.split('\n')[0]}` };
  }
  keepPathsAsText(doc);
  const lineOf = (path: ReadonlyArray<string | number>): number => {
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n), true);
      if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
      // A scalar key's own line is better than nothing when the value is missing.
    }
    return 1;
  };
  return { file, data: doc.toJS({ maxAliasCount: 100 }), lineOf };
}

/** `/rules/3/to` (ajv instancePath) → `['rules', 3, 'to']`. */
export function pointerToPath(pointer: string): Array<string | number> {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

function keepPathsAsText(doc: Document): void {
  const fix = (n: unknown) => {
    if (isScalar(n) && typeof n.value === 'number') {
      const src = (n as Scalar & { srcToken?: { source?: string } }).srcToken?.source;
      n.value = src ?? String(n.value);
    }
  };
  visit(doc, {
    Pair(_, pair) {
      if (!isScalar(pair.key) || !PATH_KEYS.has(String(pair.key.value))) return;
      if (isSeq(pair.value)) pair.value.items.forEach(fix);
      else fix(pair.value);
    },
  });
}
