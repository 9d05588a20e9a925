/** @module Checking an HL7 v2 path ('PID-3[2].4.1') against the version's definitions (mapping load time). */
import { CarebridgeError } from '../../errors/index.js';
import { parsePath } from '../er7/path.js';
import { dataTypeComponents, segmentDefinition, type FieldDefinition } from './segment-definition.js';

export type PathCheck =
  | { readonly ok: true; readonly field?: FieldDefinition; readonly component?: FieldDefinition; readonly subcomponent?: FieldDefinition }
  | { readonly ok: false; readonly reason: string };

/**
 * Z-segments (and segments the dictionary lacks) are accepted unchecked; known segments must
 * have the field, a repetition index only on a repeating field, and a component/sub-component
 * within the field's data type. Requires `await loadHl7Dictionary()` first.
 */
export function checkPath(version: string, path: string): PathCheck {
  let p;
  try {
    p = parsePath(path);
  } catch (e) {
    if (e instanceof CarebridgeError) return { ok: false, reason: e.message };
    throw e;
  }
  const seg = segmentDefinition(version, p.segment);
  if (!seg) {
    return p.segment.startsWith('Z') ? { ok: true } : { ok: false, reason: `Segment ${p.segment} is not defined in HL7 v2 ${version}` };
  }
  const field = seg.field(p.field);
  if (!field) return { ok: false, reason: `${p.segment}-${p.field} does not exist in HL7 v2 ${seg.version} (${p.segment} has ${seg.fields.length} fields)` };
  if (p.repetition !== undefined && p.repetition > 1 && field.maxRepetitions < p.repetition) {
    return { ok: false, reason: `${p.segment}-${p.field} (${field.name}) does not repeat ${p.repetition} times in HL7 v2 ${seg.version}` };
  }
  if (p.component === undefined) return { ok: true, field };
  const comps = dataTypeComponents(seg.version, field.dataType);
  if (!comps) {
    return p.component === 1 && (p.subcomponent ?? 1) === 1
      ? { ok: true, field }
      : { ok: false, reason: `${p.segment}-${p.field} (${field.name}) is of primitive type ${field.dataType} and has no component ${p.component}` };
  }
  const component = comps.find((c) => c.position === p.component);
  if (!component) return { ok: false, reason: `${p.segment}-${p.field}.${p.component}: data type ${field.dataType} has ${comps.length} components` };
  if (p.subcomponent === undefined || p.subcomponent === 1) {
    const subs = p.subcomponent === 1 ? dataTypeComponents(seg.version, component.dataType) : undefined;
    return { ok: true, field, component, subcomponent: subs?.[0] };
  }
  const subs = dataTypeComponents(seg.version, component.dataType);
  const subcomponent = subs?.find((c) => c.position === p.subcomponent);
  if (!subcomponent) return { ok: false, reason: `${path}: component type ${component.dataType} has no sub-component ${p.subcomponent}` };
  return { ok: true, field, component, subcomponent };
}
