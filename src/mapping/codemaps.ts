/**
 * @module Compiled code maps (kind: codemap): v2 code → FHIR code / Coding, checked against the
 * v2 table they claim to map from.
 */
import type { Coding } from 'fhir/r4.js';
import type { CodeMapSpec, MappingLoadError } from './types.js';
import { v2Table } from './v2-tables.js';

export interface CodeMap {
  readonly id: string;
  /** FHIR code for a v2 code (or the default), undefined when neither applies. */
  code(v2: string): string | undefined;
  coding(v2: string, display?: string): Coding | undefined;
}

/** Distinct codes remembered per code map before the memo starts over. */
export const MEMO_LIMIT = 4096;

const identity = (s: string): string => s;
const upper = (s: string): string => s.toUpperCase();

export function compileCodeMap(spec: CodeMapSpec, lineOfKey: (key: string) => number): { map: CodeMap; errors: MappingLoadError[] } {
  const errors: MappingLoadError[] = [];
  const table = spec.table ? v2Table(spec.table) : undefined;
  const norm = spec.caseInsensitive ? upper : identity;
  if (spec.table && !table) errors.push({ file: spec.source.file, line: spec.source.line, reason: `v2 table ${spec.table} is not in v2-tables.json` });
  const entries = new Map<string, Coding>();
  const prefixes: Array<[string, Coding]> = [];
  for (const [key, value] of Object.entries(spec.map)) {
    const coding: Coding = typeof value === 'string' ? { code: value } : { ...value };
    if (!coding.system && spec.system) coding.system = spec.system;
    // `HL7*` keys match by prefix; `{rest}` in the code is what followed the prefix.
    if (key.endsWith('*')) {
      prefixes.push([norm(key.slice(0, -1)), coding]);
      continue;
    }
    if (table && !table.codes.has(key)) {
      errors.push({ file: spec.source.file, line: lineOfKey(key), reason: `code '${key}' is not in HL7 table ${spec.table}` });
    }
    entries.set(norm(key), coding);
  }
  const fallback: Coding | undefined = spec.default !== undefined ? { code: spec.default, ...(spec.system ? { system: spec.system } : {}) } : undefined;
  const lookup = (v2: string): Coding | undefined => {
    const hit = entries.get(norm(v2));
    if (hit) return hit;
    for (const [prefix, c] of prefixes) {
      if (norm(v2).startsWith(prefix)) return { ...c, code: c.code!.replace('{rest}', v2.slice(prefix.length)) };
    }
    if (spec.passthrough && table) {
      const display = table.codes.get(v2);
      if (display !== undefined) return { system: table.url, code: v2, display };
    }
    // `default: "urn:x:{value}"` keeps unknown codes distinguishable instead of collapsing them.
    return fallback && fallback.code!.includes('{value}') ? { ...fallback, code: fallback.code!.replace('{value}', encodeURIComponent(v2)) } : fallback;
  };
  // Code sets are small (sexes, statuses, coding systems), so each distinct code is looked up
  // once (normalising, prefix scan, table) instead of per value. Bounded: with a `{value}` default
  // or prefix keys every unknown code is an answer of its own.
  const memo = new Map<string, Coding | null>();
  const cached = (v2: string): Coding | undefined => {
    let c = memo.get(v2);
    if (c === undefined) {
      if (memo.size >= MEMO_LIMIT) memo.clear();
      c = lookup(v2) ?? null;
      memo.set(v2, c);
    }
    return c ?? undefined;
  };
  return {
    errors,
    map: {
      id: spec.id,
      code: (v2) => cached(v2)?.code,
      coding: (v2, display) => {
        const c = cached(v2);
        if (!c) return undefined;
        return display && !c.display ? { ...c, display } : { ...c };
      },
    },
  };
}
