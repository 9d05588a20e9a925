/** @module A parsed message: segments, delimiters, the MSH header and path access. */
import { parseFieldPath, parsePath } from './path.js';
import type { Er7Segment } from './segment.js';
import type { Delimiters, Hl7Message, MshHeader } from './types.js';

export class Er7Message implements Hl7Message {
  readonly segments: readonly Er7Segment[];
  readonly delimiters: Delimiters;
  readonly header: MshHeader;
  /** Whether the input ended with a segment terminator (toString keeps that, for byte-exact output). */
  readonly trailingTerminator: boolean;
  /** Segments by name, built on first lookup (keeps 'OBX[k]-5' over k linear, not quadratic). */
  #byName: Map<string, Er7Segment[]> | undefined;

  constructor(segments: readonly Er7Segment[], delimiters: Delimiters, header: MshHeader, trailingTerminator: boolean) {
    this.segments = segments;
    this.delimiters = delimiters;
    this.header = header;
    this.trailingTerminator = trailingTerminator;
  }

  /** The n-th (1-based) segment with this name. */
  segment(name: string, occurrence = 1): Er7Segment | undefined {
    if (occurrence === 1 && this.#byName === undefined) {
      // The common case (first occurrence, first lookups) needs no index.
      for (const s of this.segments) if (s.name === name) return s;
      return undefined;
    }
    return this.#named(name)[occurrence - 1];
  }

  #named(name: string): Er7Segment[] {
    if (!this.#byName) {
      const map = new Map<string, Er7Segment[]>();
      for (const s of this.segments) {
        const list = map.get(s.name);
        if (list) list.push(s);
        else map.set(s.name, [s]);
      }
      this.#byName = map;
    }
    return this.#byName.get(name) ?? [];
  }

  get(path: string): string | undefined {
    const p = parsePath(path);
    return this.segment(p.segment, p.occurrence ?? 1)?.getAt(p);
  }

  getAll(path: string): string[] {
    const p = parsePath(path);
    if (p.occurrence !== undefined) return this.segment(p.segment, p.occurrence)?.getAllAt(p) ?? [];
    const out: string[] = [];
    for (const s of this.#named(p.segment)) out.push(...s.getAllAt(p));
    return out;
  }

  segmentsNamed(name: string): Er7Segment[] {
    return [...this.#named(name)];
  }

  toString(): string {
    let out = '';
    for (let i = 0; i < this.segments.length; i++) {
      if (i > 0) out += '\r';
      out += this.segments[i]!.toString();
    }
    return this.trailingTerminator ? out + '\r' : out;
  }
}

const HEADER_PATHS = {
  app3: parseFieldPath('3.1'), app3u: parseFieldPath('3.2'), fac4: parseFieldPath('4.1'), fac4u: parseFieldPath('4.2'),
  app5: parseFieldPath('5.1'), app5u: parseFieldPath('5.2'), fac6: parseFieldPath('6.1'), fac6u: parseFieldPath('6.2'),
  ts: parseFieldPath('7.1'), type: parseFieldPath('9.1'), event: parseFieldPath('9.2'), structure: parseFieldPath('9.3'),
  control: parseFieldPath('10'), processing: parseFieldPath('11.1'), version: parseFieldPath('12.1'),
  accept: parseFieldPath('15'), app: parseFieldPath('16'), charset: parseFieldPath('18'),
} as const;

/** Header values from the MSH segment (decoded); HD fields fall back to the universal id (HD.2). */
export function readHeader(msh: Er7Segment): MshHeader {
  const p = HEADER_PATHS;
  return {
    sendingApplication: msh.getAt(p.app3) ?? msh.getAt(p.app3u) ?? '',
    sendingFacility: msh.getAt(p.fac4) ?? msh.getAt(p.fac4u) ?? '',
    receivingApplication: msh.getAt(p.app5) ?? msh.getAt(p.app5u) ?? '',
    receivingFacility: msh.getAt(p.fac6) ?? msh.getAt(p.fac6u) ?? '',
    dateTime: msh.getAt(p.ts) ?? '',
    messageType: msh.getAt(p.type) ?? '',
    triggerEvent: msh.getAt(p.event) ?? '',
    messageStructure: msh.getAt(p.structure) ?? '',
    controlId: msh.getAt(p.control) ?? '',
    processingId: msh.getAt(p.processing) ?? '',
    version: msh.getAt(p.version) ?? '',
    acceptAckType: msh.getAt(p.accept) ?? '',
    applicationAckType: msh.getAt(p.app) ?? '',
    charset: msh.getAt(p.charset) ?? '',
  };
}
