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
  /** Positions of the message's segments by segment slot (segmentSlot); undefined: none in the message. */
  readonly index: SegmentIndex;
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

export type SegmentIndex = ReadonlyArray<readonly number[] | undefined>;

/**
 * A number for each segment name the compiled maps look up, given out at load (one numbering for
 * every map, so generated sources stay shared). A message's segment positions are kept in an
 * array by that number: a lookup by a name known at load is an array read. With a Map by name
 * built per message, each lookup compared strings (names parsed from a message are not
 * internalized, so every hit compared characters), and the Map grew per message.
 */
const SEGMENT_SLOTS = new Map<string, number>();

export function segmentSlot(name: string): number {
  let slot = SEGMENT_SLOTS.get(name);
  if (slot === undefined) SEGMENT_SLOTS.set(name, (slot = SEGMENT_SLOTS.size));
  return slot;
}

/** The message's segment positions by slot; segments no map looks up are left out. */
export function buildSegmentIndex(message: MappableMessage): SegmentIndex {
  const index = new Array<number[] | undefined>(SEGMENT_SLOTS.size);
  const segments = message.segments;
  for (let i = 0; i < segments.length; i++) {
    const slot = SEGMENT_SLOTS.get(segments[i]!.name);
    if (slot === undefined) continue;
    const list = index[slot];
    if (list) list.push(i);
    else index[slot] = [i];
  }
  return index;
}

/**
 * The occurrence of the segment in `slot` an absolute path means from position `pos`: the current
 * segment, else the nearest one before it (the OBR of an OBX), else the first in the message.
 */
export function segmentFor(run: MapRun, slot: number, pos: number): Hl7Segment | undefined {
  const list = run.index[slot];
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
