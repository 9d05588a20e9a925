/**
 * @module What compiled closures see while one message is mapped: the message, its segment index,
 * the resource instances (for references) and the explain log.
 */
import type { CodeMap } from '../codemaps.js';
import type { Hl7Segment, MappableMessage } from '../hl7-shape.js';
import type { ExplainEntry } from '../types.js';
import type { V2Node } from '../v2-path.js';

/** One resource being produced (a message-map entry, possibly one of several for `foreach`). */
export interface Instance {
  readonly key: string;
  readonly pos: number;
  /** Position of the parent instance's segment (for `within`). */
  readonly parentPos: number;
  readonly fullUrl: string;
  readonly resourceType: string;
  /** For resources taken from a field: the repetition they came from. */
  readonly node?: V2Node;
}

export interface MapRun {
  readonly message: MappableMessage;
  readonly event: string;
  readonly sender: string;
  readonly timeZone: string;
  readonly constants: Readonly<Record<string, string>>;
  readonly index: ReadonlyMap<string, readonly number[]>;
  /** The instances of each entry, by the entry's index in the message map (keyIndex). */
  readonly instances: ReadonlyArray<readonly Instance[]>;
  /** Resource key → index of its entry (the message map's, built at load). */
  readonly keyIndex: ReadonlyMap<string, number>;
  /** `within` relation per key (child key → parent key). */
  readonly within: ReadonlyMap<string, string>;
  explain?: ExplainEntry[];
  /** Label of the element being built, for explain entries (only kept when explaining). */
  prefix: string;
  /** Set when a rule wrote an explicit array index past the end: the result needs compacting. */
  holes?: boolean;
  /**
   * Every Reference a `ref:` made (refTo): when two entries turn out to be one resource, the
   * engine points these at the kept entry instead of walking every resource for `reference` keys.
   */
  readonly refs: Array<{ reference: string }>;
}

/** Where relative paths point: a segment, or a value node inside one. */
export interface Scope {
  readonly seg: Hl7Segment | undefined;
  readonly pos: number;
  readonly node: V2Node | undefined;
  readonly inst: Instance;
}

export function buildSegmentIndex(message: MappableMessage): Map<string, number[]> {
  const index = new Map<string, number[]>();
  const segments = message.segments;
  for (let i = 0; i < segments.length; i++) {
    const name = segments[i]!.name;
    const list = index.get(name);
    if (list) list.push(i);
    else index.set(name, [i]);
  }
  return index;
}

/**
 * The occurrence of `name` an absolute path means from position `pos`: the current segment, else
 * the nearest one before it (the OBR of an OBX), else the first in the message.
 */
export function segmentFor(run: MapRun, name: string, pos: number): Hl7Segment | undefined {
  const list = run.index.get(name);
  if (!list) return undefined;
  let best = list[0]!;
  for (const p of list) {
    if (p <= pos) best = p;
    else break;
  }
  return run.message.segments[best];
}

/** A Reference to an instance of this message, recorded in `run.refs` (see MapRun.refs). */
export function refTo(run: MapRun, target: Instance): { reference: string } {
  const r = { reference: target.fullUrl };
  run.refs.push(r);
  return r;
}

/** Fully resolved references from the current instance to the instances of `key`. */
export function refsFor(run: MapRun, key: string, from: Instance, pos = from.pos, node?: V2Node): readonly Instance[] {
  const k = run.keyIndex.get(key);
  const target = (k === undefined ? undefined : run.instances[k]) ?? [];
  if (target.length <= 1) return target;
  // Built from the same field repetition (this PV1-7 doctor's participant → this doctor).
  if (node !== undefined) {
    const byNode = target.filter((t) => t.node === node);
    if (byNode.length) return byNode;
  }
  // Built from the same segment (the Practitioner of this AIP, for this AIP's participant).
  const same = target.filter((t) => t.pos === pos);
  if (same.length) return same;
  if (run.within.get(key) === from.key) return target.filter((t) => t.parentPos === from.pos);
  if (run.within.get(from.key) === key) return target.filter((t) => t.pos === from.parentPos);
  // Siblings in one group (the SPM and the OBX of one OBR).
  const parent = run.within.get(key);
  if (parent !== undefined && parent === run.within.get(from.key)) return target.filter((t) => t.parentPos === from.parentPos);
  return target;
}

export type CodeMaps = ReadonlyMap<string, CodeMap>;
