/**
 * @module One segment, parsed lazily: the raw text is kept and split into fields only on first
 * access; leaf values are unescaped only when read. This keeps "parse, read five fields" cheap.
 */
import { decodeEscapes } from './escape.js';
import { parseFieldPath, type FieldPath } from './path.js';
import type { Delimiters, EscapeMode, Hl7Field, Hl7Repetition, Hl7Segment } from './types.js';

/** Shared by all segments of one message. */
export interface DecodeContext {
  readonly delimiters: Delimiters;
  readonly escapes: EscapeMode;
  /** TextDecoder label for `\Xhh\` sequences. */
  readonly hexCharset: string;
}

/** The n-th (0-based) piece of `s` split by `sep`, without splitting the whole string. */
export function nthPiece(s: string, sep: string, n: number): string | undefined {
  let start = 0;
  for (let k = 0; k < n; k++) {
    const i = s.indexOf(sep, start);
    if (i < 0) return undefined;
    start = i + 1;
  }
  const end = s.indexOf(sep, start);
  return end < 0 ? s.slice(start) : s.slice(start, end);
}

export class Er7Segment implements Hl7Segment {
  readonly name: string;
  readonly #raw: string;
  readonly #ctx: DecodeContext;
  #parts: string[] | undefined;
  #fields: Hl7Field[] | undefined;

  constructor(name: string, raw: string, ctx: DecodeContext) {
    this.name = name;
    this.#raw = raw;
    this.#ctx = ctx;
  }

  /** Raw field strings aligned to HL7 numbering: parts[n] = field n. */
  #split(): string[] {
    if (this.#parts) return this.#parts;
    const d = this.#ctx.delimiters;
    const parts = this.#raw.split(d.field);
    // In header segments the field separator itself is field 1, so MSH-2 is the first split piece.
    if (isHeaderSegment(this.name)) parts.splice(1, 0, d.field);
    this.#parts = parts;
    return parts;
  }

  /** Number of fields present (the last field number + 1). */
  get fieldCount(): number {
    return this.#split().length;
  }

  rawField(n: number): string {
    return this.#split()[n] ?? '';
  }

  get fields(): readonly Hl7Field[] {
    if (this.#fields) return this.#fields;
    const parts = this.#split();
    const out: Hl7Field[] = new Array(parts.length);
    out[0] = [[[this.name]]];
    for (let n = 1; n < parts.length; n++) out[n] = this.#parseField(n, parts[n]!);
    this.#fields = out;
    return out;
  }

  #parseField(n: number, raw: string): Hl7Field {
    if (raw === '') return [];
    // MSH-1 and MSH-2 are the delimiters themselves, never split or unescaped.
    if (n <= 2 && isHeaderSegment(this.name)) return [[[raw]]];
    return parseFieldText(raw, this.#ctx);
  }

  get(path: string): string | undefined {
    return this.getAt(parseFieldPath(path));
  }

  /** Value at an already-parsed path (first repetition/component/sub-component by default). */
  getAt(p: FieldPath): string | undefined {
    const raw = this.#split()[p.field];
    if (raw === undefined || raw === '') return undefined;
    if (p.field <= 2 && isHeaderSegment(this.name)) return p.component === undefined || p.component === 1 ? raw : undefined;
    return this.#leaf(raw, (p.repetition ?? 1) - 1, p);
  }

  /** Every repetition's value at the path (non-empty ones only). */
  getAllAt(p: FieldPath): string[] {
    const raw = this.#split()[p.field];
    if (raw === undefined || raw === '') return [];
    if (p.field <= 2 && isHeaderSegment(this.name)) return [raw];
    if (p.repetition !== undefined) {
      const v = this.#leaf(raw, p.repetition - 1, p);
      return v === undefined ? [] : [v];
    }
    const d = this.#ctx.delimiters;
    const out: string[] = [];
    for (const rep of raw.split(d.repetition)) {
      const v = this.#leaf(rep, 0, p);
      if (v !== undefined) out.push(v);
    }
    return out;
  }

  #leaf(rawField: string, repIndex: number, p: FieldPath): string | undefined {
    const d = this.#ctx.delimiters;
    const rep = rawField.indexOf(d.repetition) < 0 ? (repIndex === 0 ? rawField : undefined) : nthPiece(rawField, d.repetition, repIndex);
    if (rep === undefined || rep === '') return undefined;
    const comp = nthPiece(rep, d.component, (p.component ?? 1) - 1);
    if (comp === undefined || comp === '') return undefined;
    const sub = nthPiece(comp, d.subcomponent, (p.subcomponent ?? 1) - 1);
    if (sub === undefined || sub === '') return undefined;
    const value = decodeEscapes(sub, d, this.#ctx.escapes, this.#ctx.hexCharset);
    return value === '' ? undefined : value;
  }

  toString(): string {
    return this.#raw;
  }
}

export function isHeaderSegment(name: string): boolean {
  return name === 'MSH' || name === 'FHS' || name === 'BHS';
}

/**
 * One pass over a field's text → repetitions → components → sub-components (unescaped).
 * Arrays are created as literals of their final size where possible ([v], [a, b]): an empty array
 * literal that is pushed to gets a 17-slot backing store, which dominated the cost of a full walk.
 * No closures here: tsx/esbuild wrap each closure creation in a naming helper, costly in a hot loop.
 */
export function parseFieldText(raw: string, ctx: DecodeContext): Hl7Field {
  const d = ctx.delimiters;
  const rep = d.repetition.charCodeAt(0);
  const comp = d.component.charCodeAt(0);
  const sub = d.subcomponent.charCodeAt(0);
  const esc = d.escape.charCodeAt(0);
  let reps: Hl7Repetition[] | undefined;
  let comps: string[][] | undefined;
  let subs: string[] | undefined;
  let first = '';
  let nsub = 0;
  let start = 0;
  let escaped = false;
  for (let i = 0; i <= raw.length; i++) {
    const c = i === raw.length ? rep : raw.charCodeAt(i);
    if (c === esc) {
      escaped = true;
      continue;
    }
    if (c !== sub && c !== comp && c !== rep) continue;
    let v = raw.slice(start, i);
    if (escaped) v = decodeEscapes(v, d, ctx.escapes, ctx.hexCharset);
    start = i + 1;
    escaped = false;
    if (c === sub) {
      if (nsub === 0) first = v;
      else if (nsub === 1) subs = [first, v];
      else subs!.push(v);
      nsub++;
      continue;
    }
    let leaf: string[];
    if (nsub === 0) leaf = [v];
    else if (nsub === 1) leaf = [first, v];
    else {
      subs!.push(v);
      leaf = subs!;
    }
    nsub = 0;
    subs = undefined;
    if (comps === undefined) comps = [leaf];
    else comps.push(leaf);
    if (c === comp) continue;
    if (reps === undefined) reps = [comps];
    else reps.push(comps);
    comps = undefined;
  }
  return reps!;
}
