/**
 * @module Segment and field definitions per HL7 v2 version, taken from `hl7v2-dictionary` (never
 * typed in here). The package is ~3 MB of JavaScript that takes ~0.6 s to load, so it is imported
 * on first need: `await loadHl7Dictionary()` once (mapping load does), then the sync lookups work.
 */
import { CarebridgeError } from '../../errors/index.js';

export interface FieldDefinition {
  /** 1-based field position (HL7 numbering). */
  readonly position: number;
  readonly name: string;
  /** HL7 data type id (CX, XPN, ST, …). */
  readonly dataType: string;
  /** R, O, C, B (backward compatible), S, X/W as published. */
  readonly optionality?: string;
  /** Maximum repetitions: a number, or Infinity for "unbounded". */
  readonly maxRepetitions: number;
  readonly length?: number;
  /** HL7 table number ('0203' style id as text), when the field is coded. */
  readonly table?: string;
}

export interface SegmentDefinition {
  readonly name: string;
  readonly description?: string;
  /** The dictionary version actually used (nearest published one to the requested version). */
  readonly version: string;
  readonly fields: readonly FieldDefinition[];
  field(position: number): FieldDefinition | undefined;
}

interface RawField { type: string; desc?: string; opt?: string; rep?: number | 'infinite'; len?: number; table?: number }
interface RawDictionary { segments: Record<string, { desc?: string; fields: Record<string, RawField> }>; types: Record<string, { desc?: string; fields?: Record<string, RawField> }> }
interface DictionaryModule { dictionaries: Record<string, RawDictionary>; findNearestHL7Version(v: string): string }

let loaded: DictionaryModule | undefined;
let loading: Promise<DictionaryModule> | undefined;
const cache = new Map<string, SegmentDefinition | null>();

/** Loads hl7v2-dictionary (once). */
export async function loadHl7Dictionary(): Promise<void> {
  if (loaded) return;
  loading ??= import('hl7v2-dictionary').then((m) => (loaded = m as unknown as DictionaryModule));
  await loading;
}

function dictionary(): DictionaryModule {
  if (!loaded) throw new CarebridgeError('CB_ERR_INTERNAL', 'HL7 v2 dictionary not loaded: await loadHl7Dictionary() first');
  return loaded;
}

/** The published dictionary version nearest to a message's MSH-12 ('2.5.1', '2.9' → '2.8', '2.3.z' → '2.3'). */
export function dictionaryVersion(version: string): string {
  const m = dictionary();
  const clean = /^\d+(\.\d+){0,2}/.exec(version.trim())?.[0] ?? '2.5';
  const normal = clean.includes('.') ? clean : `${clean}.0`;
  if (m.dictionaries[normal]) return normal;
  try {
    return m.findNearestHL7Version(normal);
  } catch {
    return '2.5';
  }
}

function tableId(n: number | undefined): string | undefined {
  return n === undefined ? undefined : String(n).padStart(4, '0');
}

function toFieldDefinitions(raw: Record<string, RawField>): FieldDefinition[] {
  return Object.entries(raw)
    .map(([pos, f]) => ({
      position: Number(pos),
      name: f.desc ?? '',
      dataType: f.type,
      optionality: f.opt,
      maxRepetitions: f.rep === 'infinite' ? Infinity : (f.rep ?? 1),
      length: f.len,
      table: tableId(f.table),
    }))
    .sort((a, b) => a.position - b.position);
}

/** Definition of a segment in a version (nearest published), or undefined for an unknown (e.g. Z-) segment. */
export function segmentDefinition(version: string, segment: string): SegmentDefinition | undefined {
  const v = dictionaryVersion(version);
  const key = `${v}|${segment}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit ?? undefined;
  const raw = dictionary().dictionaries[v]?.segments[segment];
  if (!raw) {
    cache.set(key, null);
    return undefined;
  }
  const fields = toFieldDefinitions(raw.fields);
  const byPos = new Map(fields.map((f) => [f.position, f]));
  const def: SegmentDefinition = { name: segment, description: raw.desc, version: v, fields, field: (p) => byPos.get(p) };
  cache.set(key, def);
  return def;
}

/** Components of a data type (XPN, CX, …) in a version, or undefined for a primitive / unknown type. */
export function dataTypeComponents(version: string, dataType: string): FieldDefinition[] | undefined {
  const raw = dictionary().dictionaries[dictionaryVersion(version)]?.types[dataType]?.fields;
  return raw ? toFieldDefinitions(raw) : undefined;
}
