/** @module Terser-like paths into a message: 'PID-3[2].4.1', 'MSH-9.2', 'OBX[2]-5'. */
import { CarebridgeError } from '../../errors/index.js';

/**
 * A parsed path. Occurrence and repetition are 1-based; undefined means "the first" for get()
 * and "every one" for getAll(). Component and sub-component are 1-based; undefined means the first.
 */
export interface Hl7Path {
  readonly segment: string;
  readonly occurrence?: number;
  readonly field: number;
  readonly repetition?: number;
  readonly component?: number;
  readonly subcomponent?: number;
}

export type FieldPath = Omit<Hl7Path, 'segment' | 'occurrence'>;

const MESSAGE_PATH = /^([A-Z][A-Z0-9]{2})(?:\[(\d+)\])?[-.](\d+)(?:\[(\d+)\])?(?:\.(\d+)(?:\.(\d+))?)?$/;
const FIELD_PATH = /^(\d+)(?:\[(\d+)\])?(?:\.(\d+)(?:\.(\d+))?)?$/;

const messageCache = new Map<string, Hl7Path>();
const fieldCache = new Map<string, FieldPath>();
const CACHE_LIMIT = 4096;

function bad(path: string): CarebridgeError {
  const diagnostics = `Not an HL7 v2 path: '${path}' (expected e.g. 'PID-3[2].4.1', 'OBX[2]-5', 'MSH-9.2')`;
  return new CarebridgeError('CB_ERR_MAP_UNKNOWN_PATH', diagnostics, { details: [{ diagnostics }] });
}

function positive(s: string | undefined, path: string): number | undefined {
  if (s === undefined) return undefined;
  const n = Number(s);
  if (n < 1) throw bad(path);
  return n;
}

function remember<T>(cache: Map<string, T>, key: string, value: T): T {
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, value);
  return value;
}

/** Parses 'SEG[occ]-field[rep].comp.sub'. Throws CB_ERR_MAP_UNKNOWN_PATH on bad syntax. */
export function parsePath(path: string): Hl7Path {
  const hit = messageCache.get(path);
  if (hit) return hit;
  const m = MESSAGE_PATH.exec(path);
  if (!m) throw bad(path);
  const p: Hl7Path = {
    segment: m[1]!,
    occurrence: positive(m[2], path),
    field: positive(m[3], path)!,
    repetition: positive(m[4], path),
    component: positive(m[5], path),
    subcomponent: positive(m[6], path),
  };
  return remember(messageCache, path, Object.freeze(p));
}

/** Parses a segment-relative path 'field[rep].comp.sub' ('3', '3[2].4.1'). */
export function parseFieldPath(path: string): FieldPath {
  const hit = fieldCache.get(path);
  if (hit) return hit;
  const m = FIELD_PATH.exec(path);
  if (!m) throw bad(path);
  const p: FieldPath = {
    field: positive(m[1], path)!,
    repetition: positive(m[2], path),
    component: positive(m[3], path),
    subcomponent: positive(m[4], path),
  };
  return remember(fieldCache, path, Object.freeze(p));
}
