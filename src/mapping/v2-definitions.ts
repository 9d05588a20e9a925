/**
 * @module HL7 v2 segment and data type definitions (hl7v2-dictionary), for checking the v2 paths of
 * mapping files at load time.
 */
import { dictionaries, findNearestHL7Version, type HL7Version } from 'hl7v2-dictionary';

const ALL_VERSIONS = Object.keys(dictionaries) as HL7Version[];

function dictionary(version: string) {
  const v = (dictionaries as Record<string, (typeof dictionaries)[HL7Version] | undefined>)[version];
  return v ?? dictionaries[findNearestHL7Version(version as HL7Version)];
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
    const f = dictionaries[v].segments[segment]?.fields[String(field)];
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
