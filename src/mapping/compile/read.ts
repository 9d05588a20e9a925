/**
 * @module v2 path → compiled reader. Paths are checked here, at load: the segment and field must
 * exist in the message map's HL7 version and components must exist in the field's data type.
 */
import type { SourceRef } from '../types.js';
import { componentCount, componentType, fieldType, fieldTypesAcrossVersions, segmentKnown } from '../v2-definitions.js';
import { nodeHasValue, parseSegmentPath, readAt, readPositions, parseValuePath, subNode, type V2Node, type V2Path } from '../v2-path.js';
import { fail, type CompileEnv, type PathContext } from './env.js';
import { segmentFor, segmentSlot, type MapRun, type Scope } from './runtime.js';
import type { Hl7Segment } from '../hl7-shape.js';

export type StringReader = (run: MapRun, scope: Scope) => string | undefined;
export type StringsReader = (run: MapRun, scope: Scope) => string[];
export type NodesReader = (run: MapRun, scope: Scope) => V2Node[];

export interface CheckedPath {
  readonly path: V2Path;
  /** The path names the segment being mapped: read `scope.seg` without a lookup. */
  readonly current: boolean;
  readonly v2Types: readonly string[];
}

/** Parse + check; undefined (with an error recorded) when the path is wrong. */
export function checkPath(env: CompileEnv, text: string, pc: PathContext, at: SourceRef): CheckedPath | undefined {
  const path = pc.kind === 'segment' ? parseSegmentPath(String(text)) : parseValuePath(String(text));
  if (!path) {
    fail(env, at, `'${text}' is not a v2 path`);
    return undefined;
  }
  if (path.field !== undefined) {
    const segment = path.segment ?? (pc.kind === 'segment' ? pc.segment : undefined);
    if (!segment) {
      fail(env, at, `'${text}': a path inside a datatype map must name its segment (e.g. PID-3) or be a component number`);
      return undefined;
    }
    if (!segmentKnown(env.version, segment)) {
      fail(env, at, `'${text}': segment ${segment} is not defined in HL7 v${env.version}`);
      return undefined;
    }
    const ft = fieldType(env.version, segment, path.field);
    if ('error' in ft) {
      fail(env, at, `'${text}': ${ft.error}`);
      return undefined;
    }
    const count = componentCount(env.version, ft.type);
    if (path.rest[0] !== undefined && count > 0 && path.rest[0] > count) {
      fail(env, at, `'${text}': ${ft.type} has ${count} components, not ${path.rest[0]}`);
      return undefined;
    }
    env.reads.add(`${segment}-${path.field}`);
    // A field's type changed across versions (CE → CWE, IS → CWE): any of them is accepted.
    const v2Types = path.rest.length === 0 ? [...fieldTypesAcrossVersions(segment, path.field)] : componentTypes(env.version, ft.type, path.rest[0]!);
    return { path: segment === path.segment ? path : { ...path, segment }, current: pc.kind === 'segment' && segment === pc.segment, v2Types };
  }
  if (pc.kind !== 'node') return undefined;
  const count = Math.max(0, ...pc.v2Types.map((t) => componentCount(env.version, t)));
  if (count > 0 && path.rest[0]! > count) {
    fail(env, at, `'${text}': ${pc.v2Types.join('/')} has ${count} components, not ${path.rest[0]}`);
    return undefined;
  }
  return { path, current: false, v2Types: pc.v2Types.flatMap((t) => componentTypes(env.version, t, path.rest[0]!)) };
}

function componentTypes(version: string, type: string, component: number): string[] {
  // hl7v2-dictionary keeps component types on the data type definition
  return [componentType(version, type, component)].filter((t): t is string => !!t);
}

/**
 * The segment a path names (by its segment's slot, see segmentSlot; else the current one).
 * Readers pass the path's parts as closure constants, never the V2Path: paths have several
 * shapes, and reading their properties per value was a megamorphic load that missed V8's stub
 * cache. When the path names the current segment's kind, segmentFor returns the current segment
 * (a scope's `pos` is its segment's position).
 */
export function segmentOf(run: MapRun, scope: Scope, slot: number | undefined): Hl7Segment | undefined {
  return slot === undefined ? scope.seg : segmentFor(run, slot, scope.pos);
}

const slotOf = (segment: string | undefined): number | undefined => (segment === undefined ? undefined : segmentSlot(segment));

export function compileStringReader(env: CompileEnv, text: string, pc: PathContext, at: SourceRef): StringReader {
  const c = checkPath(env, text, pc, at);
  if (!c) return () => undefined;
  const { path } = c;
  // readAt with constant positions: no closure call per read (see readAt).
  const [ci, si] = readPositions(path.rest);
  if (path.field === undefined) return (_run, scope) => readAt(scope.node, ci, si);
  const field = path.field;
  const rep = path.rep;
  if (c.current && rep === undefined) {
    return (_run, scope) => {
      const reps = scope.seg?.fields[field];
      if (!reps) return undefined;
      for (let i = 0; i < reps.length; i++) {
        const v = readAt(reps[i], ci, si);
        if (v !== undefined) return v;
      }
      return undefined;
    };
  }
  const slot = slotOf(path.segment);
  return (run, scope) => {
    const reps = segmentOf(run, scope, slot)?.fields[field];
    if (!reps) return undefined;
    if (rep !== undefined) return readAt(reps[rep - 1], ci, si);
    for (let i = 0; i < reps.length; i++) {
      const v = readAt(reps[i], ci, si);
      if (v !== undefined) return v;
    }
    return undefined;
  };
}

export function compileStringsReader(env: CompileEnv, text: string, pc: PathContext, at: SourceRef): StringsReader {
  const c = checkPath(env, text, pc, at);
  if (!c) return () => [];
  const { path } = c;
  const [ci, si] = readPositions(path.rest);
  if (path.field === undefined) return (_run, scope) => { const v = readAt(scope.node, ci, si); return v === undefined ? [] : [v]; };
  const { field, rep } = path;
  const slot = slotOf(path.segment);
  return (run, scope) => {
    const reps = segmentOf(run, scope, slot)?.fields[field];
    if (!reps) return [];
    const out: string[] = [];
    const list = rep !== undefined ? [reps[rep - 1]] : reps;
    for (const r of list) {
      const v = readAt(r, ci, si);
      if (v !== undefined) out.push(v);
    }
    return out;
  };
}

/** `path`: the checked path (absent when it is wrong), for generated code that reads it inline. */
export function compileNodesReader(env: CompileEnv, text: string, pc: PathContext, at: SourceRef): { read: NodesReader; v2Types: readonly string[]; field?: string; path?: V2Path } {
  const c = checkPath(env, text, pc, at);
  if (!c) return { read: () => [], v2Types: [] };
  const { path } = c;
  const { field, segment, rep, rest } = path;
  if (field === undefined) {
    return { v2Types: c.v2Types, path, read: (_run, scope) => { const n = subNode(scope.node, rest); return nodeHasValue(n) ? [n!] : []; } };
  }
  const slot = slotOf(segment);
  return {
    v2Types: c.v2Types,
    path,
    field: `${segment}-${field}`,
    read: (run, scope) => {
      const reps = segmentOf(run, scope, slot)?.fields[field];
      if (!reps) return [];
      const out: V2Node[] = [];
      const list = rep !== undefined ? [reps[rep - 1]] : reps;
      for (const r of list) {
        const n = rest.length ? subNode(r, rest) : r;
        if (nodeHasValue(n)) out.push(n!);
      }
      return out;
    },
  };
}
