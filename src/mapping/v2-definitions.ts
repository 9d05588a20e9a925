/**
 * @module HL7 v2 segment and data type definitions (hl7v2-dictionary), for checking the v2 paths of
 * mapping files at load time.
 */
import type { HL7Version } from 'hl7v2-dictionary';

type DictionaryModule = typeof import('hl7v2-dictionary');
let lib: DictionaryModule | undefined;
let ALL_VERSIONS: HL7Version[] = [];

/**
 * hl7v2-dictionary takes about a second to import, so it is loaded when mappings are loaded, not
 * when the server (or any CLI command) merely imports this room.
 */
export async function loadV2Dictionary(): Promise<void> {
  if (lib) return;
  lib = await import('hl7v2-dictionary');
  ALL_VERSIONS = Object.keys(lib.dictionaries) as HL7Version[];
}

function dictionary(version: string) {
  if (!lib) throw new Error('loadV2Dictionary() must run before v2 definitions are read');
  const v = (lib.dictionaries as Record<string, (typeof lib.dictionaries)[HL7Version] | undefined>)[version];
  return v ?? lib.dictionaries[lib.findNearestHL7Version(version as HL7Version)];
}

/** The data type of component `component` of data type `type`. */
export function componentType(version: string, type: string, component: number): string | undefined {
  return dictionary(version)?.types[type]?.fields?.[String(component)]?.type;
}

export function segmentKnown(version: string, segment: string): boolean {
  return segment.startsWith('Z') || dictionary(version)?.segments[segment] !== undefined;
}

/** The data type of a field in this version, or a reason why the field does not exist. */
export function fieldType(version: string, segment: string, field: number): { type: string } | { error: string } {
  if (segment.startsWith('Z')) return { type: 'varies' };
  const seg = dictionary(version)?.segments[segment];
  if (!seg) return { error: `segment ${segment} is not defined in HL7 v${version}` };
  const f = seg.fields[String(field)];
  if (!f) {
    const max = Math.max(...Object.keys(seg.fields).map(Number));
    return { error: `${segment}-${field} does not exist in HL7 v${version} (${segment} has ${max} fields)` };
  }
  return { type: f.type };
}

/** Every data type this field has had across versions (CE in 2.5, CWE in 2.8 …). */
export function fieldTypesAcrossVersions(segment: string, field: number): Set<string> {
  const out = new Set<string>();
  for (const v of ALL_VERSIONS) {
    const f = lib!.dictionaries[v].segments[segment]?.fields[String(field)];
    if (f) out.add(f.type);
  }
  return out;
}

/** Number of components of a data type (0 for primitives / unknown). */
export function componentCount(version: string, type: string): number {
  let max = 0;
  for (const v of [version, ...ALL_VERSIONS]) {
    const t = dictionary(v)?.types[type];
    if (t?.fields) max = Math.max(max, ...Object.keys(t.fields).map(Number));
  }
  return max;
}

export function fieldDescription(version: string, segment: string, field: number): string | undefined {
  return dictionary(version)?.segments[segment]?.fields[String(field)]?.desc;
}
