/**
 * @module What generated mapping code is made with (codegen.ts emits the rules): the source builder
 * (`Gen`: captured values, fresh names, string reads and their hoisting), the helpers the generated
 * functions call by name, and `compile`, which turns a source into a function through a factory
 * shared by every map of the same text. See codegen.ts for why, and for injection safety: mapping
 * text enters a source only through `lit()` and `int()`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Hl7Field } from '../hl7-shape.js';
import { nodeHasValue, readAt, subNode } from '../v2-path.js';
import type { Builder } from './datatype.js';
import type { CompileEnv, PathContext } from './env.js';
import { segmentOf } from './read.js';
import { refsFor, refTo, segmentSlot, type MapRun, type Scope } from './runtime.js';

/** A string as a JavaScript literal (U+2028/2029 are legal in literals since ES2019; escaped anyway for older tooling). */
export function lit(s: string): string {
  return JSON.stringify(s).replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** A number from a parsed path, as source text (never anything else). */
export function int(n: number): string {
  if (!Number.isSafeInteger(n)) throw new Error(`codegen: ${String(n)} is not an integer`);
  return String(n);
}

/** A checked path's segment name (three letters or digits), for a comment beside its slot number. */
function segmentName(s: string): string {
  if (!/^[A-Z][A-Z0-9]{2}$/.test(s)) throw new Error(`codegen: ${JSON.stringify(s)} is not a segment name`);
  return s;
}

/**
 * Helpers the generated code calls by name (plain functions: V8 inlines them at each call site).
 * The first non-empty value among a field's repetitions, one helper per shape of path, so that
 * readAt's position checks fold to constants: no component (`7`), a component (`7.1`), a
 * sub-component (`7.1.2`).
 */
function first(reps: Hl7Field | undefined): string | undefined {
  if (!reps) return undefined;
  for (let i = 0; i < reps.length; i++) {
    const v = readAt(reps[i], -1, -1);
    if (v !== undefined) return v;
  }
  return undefined;
}

function firstC(reps: Hl7Field | undefined, c: number): string | undefined {
  if (!reps) return undefined;
  for (let i = 0; i < reps.length; i++) {
    const v = readAt(reps[i], c, -1);
    if (v !== undefined) return v;
  }
  return undefined;
}

function firstCS(reps: Hl7Field | undefined, c: number, s: number): string | undefined {
  if (!reps) return undefined;
  for (let i = 0; i < reps.length; i++) {
    const v = readAt(reps[i], c, s);
    if (v !== undefined) return v;
  }
  return undefined;
}

function isIn(v: string | undefined, set: ReadonlySet<string>): boolean {
  return v !== undefined && set.has(v);
}

function matches(v: string | undefined, re: RegExp): boolean {
  return v !== undefined && re.test(v);
}

/** A nested datatype map built while explaining: its entries are named `<to>[<index>].…`. */
function buildExplained(run: MapRun, build: Builder, s: Scope, path: string, index: number): Record<string, unknown> | undefined {
  const old = run.prefix;
  run.prefix = `${old}${path}[${index}].`;
  const v = build(run, s);
  run.prefix = old;
  return v;
}

const HELPERS = { readAt, first, firstC, firstCS, segmentOf, subNode, nodeHasValue, isIn, matches, buildExplained, refsFor, refTo };
const HELPER_NAMES = Object.keys(HELPERS);

/** Source being generated for one map: the captured values and a counter for fresh names. */
export class Gen {
  readonly consts: unknown[] = [];
  /** Some read names the current segment's fields: the function starts with `const F = scope.seg?.fields`. */
  fields = false;
  #n = 0;
  constructor(readonly env: CompileEnv, readonly pc: PathContext) {}

  /** A captured value: `k<i>` in the generated code. */
  k(value: unknown): string {
    this.consts.push(value);
    return `k${this.consts.length - 1}`;
  }

  name(prefix: string): string {
    return `${prefix}${this.#n++}`;
  }

  /**
   * The repetitions of `field` of `segment` as an expression: the current segment's (`F`, which
   * segmentOf would return: a segment map's scope is always its own segment) or segmentOf's.
   */
  fieldOf(segment: string, field: number): string {
    if (this.pc.kind === 'segment' && segment === this.pc.segment) {
      this.fields = true;
      return `F?.[${int(field)}]`;
    }
    return `segmentOf(run, scope, ${int(segmentSlot(segment))} /* ${segmentName(segment)} */)?.fields[${int(field)}]`;
  }

  /** Distinct string reads (emitRead's expressions), each written into the source as a token until compile(). */
  readonly reads: string[] = [];
  readonly #readIds = new Map<string, number>();

  /** A token for a read: compile() puts the expression there, or a constant holding it when the function makes that read more than once. */
  read(expr: string): string {
    let id = this.#readIds.get(expr);
    if (id === undefined) {
      id = this.reads.length;
      this.reads.push(expr);
      this.#readIds.set(expr, id);
    }
    return `\u0000${id}\u0000`;
  }

  /** What every generated function starts with (HOISTED marks where reads made more than once are computed). */
  prologue(): string {
    return `  const node = scope.node;${this.fields ? '\n  const F = scope.seg?.fields;' : ''}${HOISTED}`;
  }
}

const HOISTED = '\u0000H\u0000';
const READ_TOKEN = /\u0000(\d+)\u0000/g;

/**
 * Puts the reads back: a read made once stays inline; one made more than once (OBX-2 in the
 * condition of every value[x] rule) is computed once, after the prologue, into `R<id>`. Reads
 * depend only on the message, the scope and the node, which a function call does not change, and
 * have no effect, so computing one earlier or once gives the same values. No token can come from
 * mapping text: lit() escapes U+0000.
 */
function placeReads(g: Gen, body: string): string {
  const counts = new Array<number>(g.reads.length).fill(0);
  for (const m of body.matchAll(READ_TOKEN)) counts[Number(m[1])]!++;
  const hoisted: string[] = [];
  for (let i = 0; i < g.reads.length; i++) if (counts[i]! > 1) hoisted.push(`\n  const R${i} = ${g.reads[i]};`);
  return body.replace(READ_TOKEN, (_, id: string) => (counts[Number(id)]! > 1 ? `R${id}` : g.reads[Number(id)]!)).replace(HOISTED, hoisted.join(''));
}

let dumped = 0;

/** `body` returns the function; it sees the helpers by name and the captured values as `k<i>`. */
export function compile(g: Gen, name: string, text: string): unknown {
  const body = placeReads(g, text);
  const source = ['"use strict";', `const { ${HELPER_NAMES.join(', ')} } = H;`, ...g.consts.map((_, i) => `const k${i} = K[${i}];`), body].join('\n');
  const dumpDir = process.env.CB_MAPPING_CODEGEN_DUMP;
  if (dumpDir) {
    mkdirSync(dumpDir, { recursive: true });
    writeFileSync(join(dumpDir, `${String(dumped++).padStart(5, '0')}-${name}.js`), `${source}\n`);
  }
  let factory = factories.get(source);
  if (!factory) {
    if (factories.size >= FACTORY_LIMIT) factories.clear();
    // Source built only from lit(), int() and k<i> names: see the header on injection safety.
    factory = new Function('K', 'H', source) as Factory;
    factories.set(source, factory);
  }
  return factory(g.consts, HELPERS);
}

type Factory = (k: unknown[], h: typeof HELPERS) => unknown;

/**
 * One factory per distinct source. A map is generated once per use (pid-patient once per message
 * map that includes it, a datatype map once per rule applying it), mostly to the same text; the
 * functions made by one factory share their bytecode, type feedback and optimised code, so V8
 * warms each map up once instead of once per copy (with a copy per use, the corpus mix ran ~30 %
 * slower for its first seconds). Bounded (the shipped maps make ~60 sources; each hot reload of
 * an edited map adds a few, and the sources are kept as keys).
 */
const factories = new Map<string, Factory>();
const FACTORY_LIMIT = 2_000;
