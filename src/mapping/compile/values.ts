/**
 * @module Value specs (`from`, `const`, `template`, `datatype`, `map`, `as`, `ref`, `where`,
 * `default`, `cases`) → producers. The FHIR type of the target decides the conversion (a dateTime
 * target gets TS→dateTime, a CodeableConcept target gets a code map's Coding wrapped …), so map
 * authors rarely write `as:`.
 */
import type { SourceRef, ValueSpec, ConditionSpec, MappingLoadError } from '../types.js';
import { v2DateTime } from '../datetime.js';
import { nodeReader, type V2Node, type V2Path } from '../v2-path.js';
import { parseSegmentPath } from '../v2-path.js';
import { typeFits } from '../fhir-definitions.js';
import { compileCondition, type Predicate } from './conditions.js';
import { fail, specOf, type CompileEnv, type PathContext } from './env.js';
import { compileNodesReader, compileStringReader, compileStringsReader, type NodesReader } from './read.js';
import { refsFor, refTo, segmentSlot, type MapRun, type Scope } from './runtime.js';
import { compileDatatypeBuilder, type Builder } from './datatype.js';
import { generateBuilder } from './codegen.js';

export type Producer = (run: MapRun, scope: Scope) => unknown[];
export interface TargetType {
  readonly type: string;
  readonly array: boolean;
  /** the rule's `to`, for explain */
  readonly path?: string;
  /**
   * Only these elements of the value are read (an identity needs Identifier.system and .value):
   * a datatype map first runs just the rules that fill them, and the whole map only when those
   * produce nothing (so which repetition counts as present is decided exactly as before).
   */
  readonly only?: readonly string[];
}

const NONE: unknown[] = [];
const STRINGISH = new Set(['string', 'code', 'uri', 'url', 'id', 'markdown', 'canonical', 'oid', 'uuid']);

export function compileCases(env: CompileEnv, cases: ReadonlyArray<ValueSpec & { when?: ConditionSpec }>, target: TargetType, pc: PathContext, at: SourceRef): Producer {
  const compiled = cases.map((c) => ({ when: c.when ? compileCondition(env, c.when, pc, at) : undefined, produce: compileValue(env, c, target, pc, at) }));
  return (run, scope) => {
    for (const c of compiled) {
      if (c.when && !c.when(run, scope)) continue;
      const v = c.produce(run, scope);
      if (v.length) return v;
    }
    return NONE;
  };
}

export function compileValue(env: CompileEnv, spec: ValueSpec, target: TargetType, pc: PathContext, at: SourceRef): Producer {
  const base = spec.cases ? compileCases(env, spec.cases, target, pc, at) : compileSource(env, spec, target, pc, at);
  if (spec.default === undefined) return base;
  const fallback = [spec.default];
  return (run, scope) => {
    const v = base(run, scope);
    return v.length ? v : fallback;
  };
}

/**
 * The value of a single-valued target: what `compileValue(...)(run, scope)[0]` is, without an
 * array per value. Most rules fill a single element, and the array (plus the closure that
 * built it) was a large share of the time spent per rule.
 */
export type Getter = (run: MapRun, scope: Scope) => unknown;

export function compileGetter(env: CompileEnv, spec: ValueSpec, target: TargetType, pc: PathContext, at: SourceRef): Getter {
  const base = spec.cases ? compileCasesGetter(env, spec.cases, target, pc, at) : compileSourceGetter(env, spec, target, pc, at);
  if (spec.default === undefined) return base;
  const fallback = spec.default;
  return (run, scope) => {
    const v = base(run, scope);
    return v === undefined ? fallback : v;
  };
}

export function compileCasesGetter(env: CompileEnv, cases: ReadonlyArray<ValueSpec & { when?: ConditionSpec }>, target: TargetType, pc: PathContext, at: SourceRef): Getter {
  const compiled = cases.map((c) => ({ when: c.when ? compileCondition(env, c.when, pc, at) : undefined, get: compileGetter(env, c, target, pc, at) }));
  return (run, scope) => {
    for (const c of compiled) {
      if (c.when && !c.when(run, scope)) continue;
      const v = c.get(run, scope);
      if (v !== undefined) return v;
    }
    return undefined;
  };
}

/** `from` (with or without `datatype`) and `const` directly; the rarer sources through their producer. */
export function compileSourceGetter(env: CompileEnv, spec: ValueSpec, target: TargetType, pc: PathContext, at: SourceRef): Getter {
  const other = spec.ref !== undefined || spec.each !== undefined;
  if (!other && spec.const !== undefined) {
    const v = spec.const;
    return () => v;
  }
  if (!other && spec.constant === undefined && spec.template === undefined && spec.from !== undefined) {
    const paths = typeof spec.from === 'string' ? [spec.from] : spec.from;
    const alternatives = paths.map((p) => (spec.datatype ? datatypeGetter(env, String(p), spec, target, pc, at) : stringGetter(env, String(p), spec, target, pc, at)));
    if (alternatives.length === 1) return alternatives[0]!;
    return (run, scope) => {
      for (const a of alternatives) {
        const v = a(run, scope);
        if (v !== undefined) return v;
      }
      return undefined;
    };
  }
  return firstOf(compileSource(env, spec, target, pc, at));
}

export const firstOf = (produce: Producer): Getter => (run, scope) => {
  const v = produce(run, scope);
  return v.length ? v[0] : undefined;
};

export function compileSource(env: CompileEnv, spec: ValueSpec, target: TargetType, pc: PathContext, at: SourceRef): Producer {
  if (spec.ref !== undefined) {
    const key = refKey(env, spec.ref, target, at);
    return (run, scope) => refsFor(run, key, scope.inst, scope.pos, scope.node).map((i) => refTo(run, i));
  }
  if (spec.each !== undefined) return compileEach(env, spec.each, target, at);
  if (spec.const !== undefined) {
    const v = [spec.const];
    return () => v;
  }
  if (spec.constant !== undefined) {
    const name = spec.constant;
    const convert = compileConvert(env, spec, target, at);
    return (run) => {
      const c = run.constants[name];
      if (c === undefined) return NONE;
      const v = convert(c, run);
      return v === undefined ? NONE : [v];
    };
  }
  if (spec.template !== undefined) return compileTemplate(env, spec, target, pc, at);
  if (spec.from === undefined) {
    fail(env, at, 'a value needs one of from, const, constant, template or ref');
    return () => NONE;
  }
  const paths = typeof spec.from === 'string' ? [spec.from] : spec.from;
  const alternatives = paths.map((p) => (spec.datatype ? compileFromDatatype(env, String(p), spec, target, pc, at) : compileFromStrings(env, String(p), spec, target, pc, at)));
  if (alternatives.length === 1) return alternatives[0]!;
  return (run, scope) => {
    for (const a of alternatives) {
      const v = a(run, scope);
      if (v.length) return v;
    }
    return NONE;
  };
}

/** The resource key of `ref:` (with its load checks): `ref: specimen?` is optional, for maps shared by message maps that may not have that key. */
export function refKey(env: CompileEnv, ref: string, target: TargetType, at: SourceRef): string {
  if (target.type !== 'Reference') fail(env, at, `ref: target is ${target.type}, not Reference`);
  const optional = ref.endsWith('?');
  const key = optional ? ref.slice(0, -1) : ref;
  if (!optional && !env.keys.has(key)) fail(env, at, `ref: '${key}' is not a resource key of the message map (write '${key}?' if it is optional)`);
  return key;
}

/** `each: aip-participant`: one value per occurrence of that segment map's segment (AIP → participant). */
function compileEach(env: CompileEnv, id: string, target: TargetType, at: SourceRef): Producer {
  const sm = specOf(env, id, ['segment']);
  if (!sm) {
    fail(env, at, `each: segment map '${id}' does not exist`);
    return () => NONE;
  }
  if (sm.resource !== target.type) fail(env, at, `each: '${id}' produces ${sm.resource}, but the target is ${target.type}`);
  env.reads.add(`${sm.segment}-0`);
  const build = generateBuilder(env, sm.rules, sm.resource, { kind: 'segment', segment: sm.segment }, sm.id);
  const slot = segmentSlot(sm.segment);
  return (run, scope) => {
    const out: unknown[] = [];
    for (const pos of run.index[slot] ?? []) {
      const v = build(run, { seg: run.message.segments[pos], pos, node: undefined, inst: scope.inst });
      if (v !== undefined) out.push(v);
    }
    return out;
  };
}

export interface DatatypeSource {
  readonly nodes: NodesReader;
  /** The checked path of `nodes` (absent when it is wrong: nothing is read). */
  readonly path?: V2Path;
  readonly build: Builder;
  readonly where: Predicate | undefined;
}

/** The checks and builders of `from: … datatype: …`, shared by the producer and the getter. */
export function prepareDatatype(env: CompileEnv, path: string, spec: ValueSpec, target: TargetType, pc: PathContext, at: SourceRef): DatatypeSource | undefined {
  const dt = specOf(env, spec.datatype!, ['datatype']);
  if (!dt) {
    fail(env, at, `datatype map '${spec.datatype}' does not exist`);
    return undefined;
  }
  if (!typeFits(dt.fhir, target.type) && dt.fhir !== target.type) fail(env, at, `datatype map '${dt.id}' produces ${dt.fhir}, but the target is ${target.type}`);
  const nodes = compileNodesReader(env, path, pc, at);
  const known = nodes.v2Types;
  if (known.length && !known.some((t) => /^varies$/i.test(t)) && !known.some((t) => dt.v2.includes(t))) fail(env, at, `'${path}' is ${known.join('/')}, but datatype map '${dt.id}' reads ${dt.v2.join('/')}`);
  const full = compileDatatypeBuilder(env, dt, at);
  const build = target.only ? keyFirst(compileDatatypeBuilder(quietEnv(env), dt, at, target.only), full) : full;
  const where = spec.where ? compileCondition(env, spec.where, { kind: 'node', v2Types: dt.v2 }, at) : undefined;
  return { nodes: nodes.read, path: nodes.path, build, where };
}

/** One value built from `node`, the explain prefix naming its index among the values. */
function buildOne(src: DatatypeSource, run: MapRun, scope: Scope, node: V2Node, index: number, target: TargetType): Record<string, unknown> | undefined {
  const s: Scope = { seg: scope.seg, pos: scope.pos, node, inst: scope.inst };
  if (src.where && !src.where(run, s)) return undefined;
  if (!run.explain) return src.build(run, s);
  const old = run.prefix;
  run.prefix = `${old}${target.path ?? ''}[${index}].`;
  const v = src.build(run, s);
  run.prefix = old;
  return v;
}

function compileFromDatatype(env: CompileEnv, path: string, spec: ValueSpec, target: TargetType, pc: PathContext, at: SourceRef): Producer {
  const src = prepareDatatype(env, path, spec, target, pc, at);
  if (!src) return () => NONE;
  const single = !target.array;
  return (run, scope) => {
    const out: unknown[] = [];
    for (const node of src.nodes(run, scope)) {
      const v = buildOne(src, run, scope, node, out.length, target);
      if (v !== undefined) {
        out.push(v);
        if (single) break;
      }
    }
    return out;
  };
}

function datatypeGetter(env: CompileEnv, path: string, spec: ValueSpec, target: TargetType, pc: PathContext, at: SourceRef): Getter {
  const src = prepareDatatype(env, path, spec, target, pc, at);
  if (!src) return () => undefined;
  return (run, scope) => {
    const nodes = src.nodes(run, scope);
    for (let i = 0; i < nodes.length; i++) {
      const v = buildOne(src, run, scope, nodes[i]!, 0, target);
      if (v !== undefined) return v;
    }
    return undefined;
  };
}

/** The key-only builder, else (nothing from it, or explaining: every rule is named) the whole map. */
function keyFirst(key: Builder, full: Builder): Builder {
  return (run, scope) => (run.explain ? full(run, scope) : (key(run, scope) ?? full(run, scope)));
}

/** The same compile state with its own error list: the whole map, compiled alongside, reports the errors once. */
function quietEnv(env: CompileEnv): CompileEnv {
  const copy = Object.create(env) as CompileEnv & { errors: MappingLoadError[] };
  Object.defineProperty(copy, 'errors', { value: [] });
  return copy;
}

export function compileFromStrings(env: CompileEnv, path: string, spec: ValueSpec, target: TargetType, pc: PathContext, at: SourceRef): Producer {
  const convert = compileConvert(env, spec, target, at);
  if (spec.where) return compileWhereStrings(env, path, spec.where, convert, target, pc, at);
  if (target.array) {
    const read = compileStringsReader(env, path, pc, at);
    return (run, scope) => {
      const out: unknown[] = [];
      for (const s of read(run, scope)) {
        const v = convert(s, run);
        if (v !== undefined) out.push(v);
      }
      return out;
    };
  }
  const read = compileStringReader(env, path, pc, at);
  if (convert === AS_IS) {
    return (run, scope) => {
      const s = read(run, scope);
      return s === undefined ? NONE : [s];
    };
  }
  return (run, scope) => {
    const s = read(run, scope);
    if (s === undefined) return NONE;
    const v = convert(s, run);
    return v === undefined ? NONE : [v];
  };
}

function stringGetter(env: CompileEnv, path: string, spec: ValueSpec, target: TargetType, pc: PathContext, at: SourceRef): Getter {
  const convert = compileConvert(env, spec, target, at);
  if (spec.where) return firstOf(compileWhereStrings(env, path, spec.where, convert, target, pc, at));
  const read = compileStringReader(env, path, pc, at);
  if (convert === AS_IS) return read;
  return (run, scope) => {
    const s = read(run, scope);
    return s === undefined ? undefined : convert(s, run);
  };
}

/** `from: 3.1` + `where: {equals: {path: 5, value: MR}}`: the condition is tested per repetition of field 3. */
export function compileWhereStrings(env: CompileEnv, path: string, where: ConditionSpec, convert: Convert, target: TargetType, pc: PathContext, at: SourceRef): Producer {
  const p = parseSegmentPath(path);
  if (!p || p.field === undefined || pc.kind !== 'segment') {
    fail(env, at, `where: needs a field path in a segment map (got '${path}')`);
    return () => NONE;
  }
  const fieldPath = `${p.segment ? `${p.segment}-` : ''}${p.field}`;
  const reps = compileNodesReader(env, fieldPath, pc, at);
  const pred: Predicate = compileCondition(env, where, { kind: 'node', v2Types: reps.v2Types }, at);
  const readRest = nodeReader(p.rest);
  return (run, scope) => {
    const out: unknown[] = [];
    for (const node of reps.read(run, scope)) {
      if (!pred(run, { seg: scope.seg, pos: scope.pos, node, inst: scope.inst })) continue;
      const s = readRest(node as V2Node);
      const v = s === undefined ? undefined : convert(s, run);
      if (v !== undefined) {
        out.push(v);
        if (!target.array) break;
      }
    }
    return out;
  };
}

function compileTemplate(env: CompileEnv, spec: ValueSpec, target: TargetType, pc: PathContext, at: SourceRef): Producer {
  const parts: Array<string | ((run: MapRun, scope: Scope) => string | undefined)> = [];
  const re = /\{([^}]+)\}/g;
  let last = 0;
  for (let m = re.exec(spec.template!); m; m = re.exec(spec.template!)) {
    parts.push(spec.template!.slice(last, m.index));
    const name = m[1]!;
    if (name === 'sender') parts.push((run) => run.sender);
    else if (name === 'event') parts.push((run) => run.event);
    else if (name.startsWith('?')) {
      // `{?path}`: optional part, empty when missing (other parts still required)
      const r = compileStringReader(env, name.slice(1), pc, at);
      parts.push((run, scope) => r(run, scope) ?? '');
    } else parts.push(compileStringReader(env, name, pc, at));
    last = m.index + m[0].length;
  }
  parts.push(spec.template!.slice(last));
  const convert = compileConvert(env, spec, target, at);
  return (run, scope) => {
    let s = '';
    for (const p of parts) {
      if (typeof p === 'string') s += p;
      else {
        const v = p(run, scope);
        if (v === undefined) return NONE;
        s += v;
      }
    }
    const v = convert(s, run);
    return v === undefined ? NONE : [v];
  };
}

export type Convert = (s: string, run: MapRun) => unknown;
/** Strings into string-like targets: recognised by identity so readers can skip the call. */
export const AS_IS: Convert = (s) => s;

/** String → target value, decided at load from the target's FHIR type, `map` and `as`. */
export function compileConvert(env: CompileEnv, spec: ValueSpec, target: TargetType, at: SourceRef): Convert {
  if (spec.map !== undefined) {
    const cm = env.codemaps.get(spec.map);
    if (!cm) {
      fail(env, at, `code map '${spec.map}' does not exist`);
      return () => undefined;
    }
    if (target.type === 'Coding') return (s) => cm.coding(s);
    if (target.type === 'CodeableConcept') return (s) => { const c = cm.coding(s); return c ? { coding: [c] } : undefined; };
    if (STRINGISH.has(target.type)) return (s) => cm.code(s);
    if (target.type === 'boolean') return (s) => { const c = cm.code(s); return c === undefined ? undefined : c === 'true'; };
    fail(env, at, `map: cannot produce ${target.type}`);
    return () => undefined;
  }
  const kind = spec.as ?? target.type;
  switch (kind) {
    case 'date':
    case 'dateTime':
    case 'instant':
      return (s, run) => v2DateTime(s, kind, run.timeZone);
    case 'decimal':
      return (s) => { const n = Number(s.trim()); return s.trim() !== '' && Number.isFinite(n) ? n : undefined; };
    case 'negate-decimal':
      return (s) => { const n = Number(s.trim()); return s.trim() !== '' && Number.isFinite(n) ? -n : undefined; };
    case 'range-low':
    case 'range-high': {
      // "3.5-5.0", "<10", ">=2": the bound of a v2 reference range (OBX-7)
      const low = kind === 'range-low';
      return (s) => {
        const m = /^\s*(-?\d+(?:\.\d+)?)\s*-\s*(-?\d+(?:\.\d+)?)\s*$/.exec(s);
        if (m) return Number(low ? m[1] : m[2]);
        const b = /^\s*([<>])=?\s*(-?\d+(?:\.\d+)?)\s*$/.exec(s);
        if (b && (b[1] === '>') === low) return Number(b[2]);
        return undefined;
      };
    }
    case 'integer':
    case 'positiveInt':
    case 'unsignedInt':
      return (s) => (/^[+-]?\d+$/.test(s.trim()) ? Number.parseInt(s, 10) : undefined);
    case 'boolean':
      return (s) => (/^(Y|YES|TRUE|T|1)$/i.test(s) ? true : /^(N|NO|FALSE|F|0)$/i.test(s) ? false : undefined);
    default:
      if (STRINGISH.has(kind) || kind === 'xhtml' || kind === 'time' || kind === 'base64Binary') return AS_IS;
      fail(env, at, `a plain v2 value cannot fill a ${kind}; use datatype:, map: or const:`);
      return () => undefined;
  }
}
