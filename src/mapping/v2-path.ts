/**
 * @module v2 paths in mapping files and their compiled readers.
 *
 * Absolute: `PID-3`, `PID-3[2].4.1` (repetition 2, component 4, sub-component 1), `OBX-5`.
 * Relative to the current segment: `3`, `3.1`. Relative to a datatype value: `4` or `4.1`
 * (component, sub-component) — or, when the value is itself a component, `1` = sub-component 1.
 */
import type { Hl7Segment } from './hl7-shape.js';

export interface V2Path {
  readonly segment?: string;
  /** Field number (segment context) — undefined for datatype-relative paths. */
  readonly field?: number;
  /** 1-based repetition, when explicitly given. */
  readonly rep?: number;
  /** Further positions: component, sub-component. */
  readonly rest: readonly number[];
  readonly text: string;
}

const ABSOLUTE = /^([A-Z][A-Z0-9]{2})-(\d+)(?:\[(\d+)\])?((?:\.\d+){0,2})$/;
const RELATIVE = /^(\d+)(?:\[(\d+)\])?((?:\.\d+){0,2})$/;

/** Parse in segment context (a bare number is a field). */
export function parseSegmentPath(text: string): V2Path | undefined {
  const a = ABSOLUTE.exec(text);
  if (a) return { segment: a[1], field: Number(a[2]), rep: a[3] ? Number(a[3]) : undefined, rest: rest(a[4]!), text };
  const r = RELATIVE.exec(text);
  if (r) return { field: Number(r[1]), rep: r[2] ? Number(r[2]) : undefined, rest: rest(r[3]!), text };
  return undefined;
}

/** Parse in datatype context (a bare number is a component). */
export function parseValuePath(text: string): V2Path | undefined {
  if (ABSOLUTE.test(text)) return parseSegmentPath(text);
  const r = /^(\d+)((?:\.\d+){0,1})$/.exec(text);
  if (!r) return undefined;
  return { rest: [Number(r[1]), ...rest(r[2]!)], text };
}

const rest = (s: string): number[] => (s ? s.slice(1).split('.').map(Number) : []);

/**
 * A value node: a field repetition (components of sub-components), one component
 * (sub-components), or a plain string.
 */
export type V2Node = readonly (readonly string[])[] | readonly string[] | string;

/** Read a string at `positions` (1-based) inside a node; the first sub-item when positions run out. */
export function readNode(node: V2Node | undefined, positions: readonly number[]): string | undefined {
  let cur: unknown = node;
  for (const p of positions) {
    if (typeof cur === 'string') return p === 1 ? nonEmpty(cur) : undefined;
    if (!Array.isArray(cur)) return undefined;
    cur = cur[p - 1];
  }
  while (Array.isArray(cur)) cur = cur[0];
  return typeof cur === 'string' ? nonEmpty(cur) : undefined;
}

/** The node at `positions` (for applying a datatype map to a component). */
export function subNode(node: V2Node | undefined, positions: readonly number[]): V2Node | undefined {
  let cur: unknown = node;
  for (const p of positions) {
    if (typeof cur === 'string') return p === 1 ? cur : undefined;
    if (!Array.isArray(cur)) return undefined;
    cur = cur[p - 1];
  }
  return cur as V2Node | undefined;
}

/**
 * Empty, the HL7 null `""` and blank values count as absent; surrounding blanks are dropped.
 *
 * Values reach here as several string representations (short copies, slices of the segment
 * text, two-byte text, unescaped results), so `s.length` and `s.charCodeAt` as property loads
 * were megamorphic: a stub-cache probe each, about 7 % of the instructions of a mapped message
 * (callgrind). A template literal's result is known to the optimiser to be a string, so its
 * `length` is read directly; the characters are read with codeAt.
 */
function nonEmpty(s: string): string | undefined {
  if (s === '' || s === '""') return undefined;
  const str = `${s}`;
  if (codeAt(str, 0) > 32 && codeAt(str, str.length - 1) > 32) return s;
  const t = str.trim();
  return t === '' ? undefined : t;
}

/**
 * `s.charCodeAt(i)` as a character load whatever the string's representation. Spelled out as
 * `String.prototype.charCodeAt` at the call: the optimiser resolves that path to the builtin and
 * inlines it. Kept in a module-level `const`, the function was not known when optimising, and
 * each read was a generic call into the builtin (~75 instructions, ~210 per message of the
 * corpus mix).
 */
function codeAt(s: string, i: number): number {
  return String.prototype.charCodeAt.call(s, i);
}

/** Repetitions of a field of a segment (HL7 numbering; MSH-1/MSH-2 are single strings). */
export function fieldRepetitions(segment: Hl7Segment | undefined, field: number): readonly (readonly (readonly string[])[])[] {
  if (!segment) return [];
  const f = segment.fields[field];
  return f ?? [];
}

/** Is a node non-empty anywhere? */
export function nodeHasValue(node: V2Node | undefined): boolean {
  if (node === undefined) return false;
  if (typeof node === 'string') return node !== '';
  const list = node as readonly V2Node[];
  // Components (arrays of strings) are scanned here: recursing into each one cost a call per
  // component, and this runs for every repetition a datatype map is applied to.
  for (let i = 0; i < list.length; i++) {
    const item = list[i];
    if (typeof item === 'string') {
      if (item !== '') return true;
      continue;
    }
    if (!Array.isArray(item)) continue;
    for (let j = 0; j < item.length; j++) {
      const sub = item[j] as V2Node | undefined;
      if (typeof sub === 'string' ? sub !== '' : nodeHasValue(sub)) return true;
    }
  }
  return false;
}

/**
 * `readNode` for the paths mapping files can write (at most component + sub-component): `c` and
 * `s` are 0-based, -1 when absent. A plain function rather than a closure per path, so every
 * caller's call site stays monomorphic and V8 inlines it (per-path closures made each read a
 * megamorphic call).
 */
export function readAt(node: V2Node | undefined, c: number, s: number): string | undefined {
  let cur: unknown = node;
  if (c >= 0) {
    if (typeof node === 'string') return c === 0 ? nonEmpty(node) : undefined;
    if (node === undefined) return undefined;
    cur = node[c];
    if (s >= 0) {
      if (typeof cur === 'string') return s === 0 ? nonEmpty(cur) : undefined;
      if (!Array.isArray(cur)) return undefined;
      cur = cur[s];
    }
  }
  while (Array.isArray(cur)) cur = cur[0];
  return typeof cur === 'string' ? nonEmpty(cur) : undefined;
}

/** `readAt`'s 0-based positions for a path's rest (the path grammar allows at most two). */
export function readPositions(positions: readonly number[]): readonly [number, number] {
  if (positions.length > 2) throw new Error(`a v2 path has at most two positions after the field, got ${positions.join('.')}`);
  return [positions.length > 0 ? positions[0]! - 1 : -1, positions.length > 1 ? positions[1]! - 1 : -1];
}

/** `readNode(node, positions)` with the positions fixed at load. */
export function nodeReader(positions: readonly number[]): (node: V2Node | undefined) => string | undefined {
  if (positions.length > 2) return (node) => readNode(node, positions);
  const [c, s] = readPositions(positions);
  return (node) => readAt(node, c, s);
}
