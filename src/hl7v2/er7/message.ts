/** @module A parsed message: segments, delimiters, the MSH header and path access. */
import { parseFieldPath, parsePath } from './path.js';
import type { Er7Segment } from './segment.js';
import type { Delimiters, Hl7Message, Hl7Segment, MshHeader } from './types.js';

export class Er7Message implements Hl7Message {
  readonly segments: readonly Er7Segment[];
  readonly delimiters: Delimiters;
  readonly header: MshHeader;
  /** Whether the input ended with a segment terminator (toString keeps that, for byte-exact output). */
  readonly trailingTerminator: boolean;

  constructor(segments: readonly Er7Segment[], delimiters: Delimiters, header: MshHeader, trailingTerminator: boolean) {
    this.segments = segments;
    this.delimiters = delimiters;
    this.header = header;
    this.trailingTerminator = trailingTerminator;
  }

  /** The n-th (1-based) segment with this name. */
  segment(name: string, occurrence = 1): Er7Segment | undefined {
    let seen = 0;
    for (const s of this.segments) {
      if (s.name === name && ++seen === occurrence) return s;
    }
    return undefined;
  }

  get(path: string): string | undefined {
    const p = parsePath(path);
    return this.segment(p.segment, p.occurrence ?? 1)?.getAt(p);
  }

  getAll(path: string): string[] {
    const p = parsePath(path);
    if (p.occurrence !== undefined) return this.segment(p.segment, p.occurrence)?.getAllAt(p) ?? [];
    const out: string[] = [];
    for (const s of this.segments) if (s.name === p.segment) out.push(...s.getAllAt(p));
    return out;
  }

  segmentsNamed(name: string): Hl7Segment[] {
    return this.segments.filter((s) => s.name === name);
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

/** Header values from the MSH segment (decoded). */
export function readHeader(msh: Er7Segment): MshHeader {
  const v = (path: string): string => msh.getAt(parseFieldPath(path)) ?? '';
  const hd = (field: number): string => v(`${field}.1`) || v(`${field}.2`);
  return {
    sendingApplication: hd(3),
    sendingFacility: hd(4),
    receivingApplication: hd(5),
    receivingFacility: hd(6),
    dateTime: v('7.1'),
    messageType: v('9.1'),
    triggerEvent: v('9.2'),
    messageStructure: v('9.3'),
    controlId: v('10'),
    processingId: v('11.1'),
    version: v('12.1'),
    acceptAckType: v('15'),
    applicationAckType: v('16'),
    charset: v('18'),
  };
}
