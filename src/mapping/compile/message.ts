/**
 * @module A message map (kind: message) with its includes → the compiled entries the engine runs:
 * per resource key, where its instances come from and a builder for each instance.
 */
import type { IdentitySpec, MergeSpec, MessageMapSpec, MessageResourceSpec, SourceRef } from '../types.js';
import { compileCondition, type Predicate } from './conditions.js';
import { generateBuilder, generateGetter } from './codegen.js';
import { compileDatatypeBuilder, type Builder } from './datatype.js';
import { fail, specOf, type CompileEnv, type PathContext } from './env.js';
import { compileNodesReader, type NodesReader } from './read.js';
import { segmentSlot, type MapRun, type Scope } from './runtime.js';
import type { Getter, TargetType } from './values.js';

export interface CompiledIdentity {
  readonly param: string;
  /**
   * `identifier:` — one Identifier whose system and value are the key (one evaluation of it);
   * else `system:` and `value:` apart (system first). No object per key: the engine reads them.
   */
  readonly identifier: Getter | undefined;
  readonly system: Getter | undefined;
  readonly value: Getter | undefined;
  readonly addIdentifier: boolean;
}

export interface CompiledEntry {
  readonly key: string;
  readonly mapId: string;
  readonly resourceType: string;
  readonly segment: string;
  /** segmentSlot(segment): where the engine finds this segment's positions in a message. */
  readonly segmentSlot: number;
  readonly foreach: boolean;
  readonly field?: NodesReader;
  readonly within?: string;
  /** Slot of the `within` entry's segment (resolved at load, not per message). */
  readonly withinSlot?: number;
  readonly when?: Predicate;
  readonly required: boolean;
  readonly build: Builder;
  readonly identity?: CompiledIdentity;
  readonly source: SourceRef;
}

export interface CompiledMessageMap {
  readonly id: string;
  readonly match?: { readonly type: string; readonly events: readonly string[] };
  readonly entries: readonly CompiledEntry[];
  readonly constants: Readonly<Record<string, string>>;
  readonly merge?: MergeSpec;
  readonly provenance: boolean;
  /** `within` relation per key (child key → parent key), for references between grouped resources. */
  readonly within: ReadonlyMap<string, string>;
  /** Resource key → index in `entries` (where the engine keeps each entry's instances). */
  readonly keyIndex: ReadonlyMap<string, number>;
  /** Segment name → fields some rule reads (unmapped-data report). */
  readonly reads: ReadonlyMap<string, ReadonlySet<number>>;
  readonly source: SourceRef;
}

export function compileMessageMap(env: CompileEnv, spec: MessageMapSpec): CompiledMessageMap {
  env.version = spec.version ?? '2.8';
  env.reads = new Set();
  const resources: MessageResourceSpec[] = [];
  const constants: Record<string, string> = {};
  collect(env, spec, resources, constants, []);
  env.keys = new Set(resources.map((r) => r.key));
  const entries: EntryParts[] = [];
  const seen = new Set<string>();
  for (const r of resources) {
    if (seen.has(r.key)) fail(env, r.source, `resource key '${r.key}' is used twice in message map '${spec.id}'`);
    seen.add(r.key);
    const e = compileEntry(env, r);
    if (e) entries.push(e);
  }
  const slotOfKey = new Map(entries.map((e) => [e.key, segmentSlot(e.segment)]));
  for (const e of entries) if (e.within && !seen.has(e.within)) fail(env, e.source, `within: '${e.within}' is not a resource key of '${spec.id}'`);
  // Every entry gets the same shape (all fields, same order): the engine reads them per segment
  // of every message, and entries of two kinds with and without `within` made those reads polymorphic.
  const linked = entries.map((e): CompiledEntry => ({
    key: e.key, mapId: e.mapId, resourceType: e.resourceType, segment: e.segment, segmentSlot: segmentSlot(e.segment), foreach: e.foreach, field: e.field,
    within: e.within, withinSlot: e.within ? slotOfKey.get(e.within) : undefined, when: e.when, required: e.required,
    build: e.build, identity: e.identity, source: e.source,
  }));
  if (spec.merge) for (const k of [spec.merge.from, spec.merge.into]) if (!seen.has(k)) fail(env, spec.source, `merge: '${k}' is not a resource key of '${spec.id}'`);
  const reads = new Map<string, Set<number>>();
  for (const r of env.reads) {
    const [seg, f] = r.split('-');
    let set = reads.get(seg!);
    if (!set) reads.set(seg!, (set = new Set()));
    set.add(Number(f));
  }
  const within = new Map<string, string>();
  for (const e of entries) if (e.within) within.set(e.key, e.within);
  const keyIndex = new Map(linked.map((e, i) => [e.key, i]));
  return { id: spec.id, match: spec.match, entries: linked, within, keyIndex, constants, merge: spec.merge, provenance: spec.provenance ?? false, reads, source: spec.source };
}

function collect(env: CompileEnv, spec: MessageMapSpec, out: MessageResourceSpec[], constants: Record<string, string>, stack: string[]): void {
  if (stack.includes(spec.id)) {
    fail(env, spec.source, `include cycle: ${[...stack, spec.id].join(' → ')}`);
    return;
  }
  for (const id of spec.include ?? []) {
    const inc = specOf(env, id, ['message']);
    if (!inc) fail(env, spec.source, `include: message map '${id}' does not exist`);
    else collect(env, inc, out, constants, [...stack, spec.id]);
  }
  Object.assign(constants, spec.constants ?? {});
  out.push(...spec.resources);
}

/** An entry as compiled alone; compileMessageMap links it (slots, `within`). */
type EntryParts = Omit<CompiledEntry, 'segmentSlot' | 'withinSlot'>;

function compileEntry(env: CompileEnv, r: MessageResourceSpec): EntryParts | undefined {
  const target = specOf(env, r.map, ['segment', 'datatype']);
  if (!target) {
    fail(env, r.source, `map '${r.map}' does not exist (expected a segment or datatype map)`);
    return undefined;
  }
  if (target.kind === 'segment') {
    if (r.field) fail(env, r.source, `field: is for datatype maps; '${r.map}' is a segment map`);
    const pc = { kind: 'segment', segment: target.segment } as const;
    env.reads.add(`${target.segment}-0`);
    const build = generateBuilder(env, target.rules, target.resource, pc, target.id);
    return {
      key: r.key, mapId: target.id, resourceType: target.resource, segment: target.segment, foreach: r.foreach ?? false, within: r.within,
      when: r.when ? compileCondition(env, r.when, pc, r.source) : undefined,
      required: r.required ?? false,
      build,
      identity: target.identity ? compileIdentity(env, target.identity, pc, target.source) : undefined,
      source: r.source,
    };
  }
  if (!r.field) {
    fail(env, r.source, `'${r.map}' is a datatype map: give the field it reads (field: PV1-7)`);
    return undefined;
  }
  const segment = r.field.split('-')[0]!;
  const nodes = compileNodesReader(env, r.field, { kind: 'segment', segment }, r.source);
  const known = nodes.v2Types;
  if (known.length && !known.some((t) => /^varies$/i.test(t)) && !known.some((t) => target.v2.includes(t))) fail(env, r.source, `'${r.field}' is ${known.join('/')}, but '${target.id}' reads ${target.v2.join('/')}`);
  const pc = { kind: 'node', v2Types: target.v2 } as const;
  return {
    key: r.key, mapId: target.id, resourceType: target.fhir, segment, foreach: r.foreach ?? false, field: nodes.read, within: r.within,
    when: r.when ? compileCondition(env, r.when, { kind: 'segment', segment }, r.source) : undefined,
    required: r.required ?? false,
    build: compileDatatypeBuilder(env, target, r.source),
    identity: target.identity ? compileIdentity(env, target.identity, pc, target.source) : undefined,
    source: r.source,
  };
}

function compileIdentity(env: CompileEnv, id: IdentitySpec, pc: PathContext, at: SourceRef): CompiledIdentity {
  const str = { type: 'string', array: false } as const;
  // Generated like the maps (codegen.ts); with `cases`, a `default` beside them is not used (as before).
  const valueOf = (v: NonNullable<IdentitySpec['identifier']>, t: TargetType) => generateGetter(env, v, t, pc, at, !v.cases);
  if (id.identifier) {
    const identifier = valueOf(id.identifier, { type: 'Identifier', array: false, only: ['system', 'value'] });
    return { param: id.param ?? 'identifier', identifier, system: undefined, value: undefined, addIdentifier: id.addIdentifier ?? false };
  }
  const system = id.system ? valueOf(id.system, str) : undefined;
  const value = id.value ? valueOf(id.value, str) : undefined;
  return { param: id.param ?? 'identifier', identifier: undefined, system, value, addIdentifier: id.addIdentifier ?? false };
}
