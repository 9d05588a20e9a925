/** @module The shapes of a parsed HL7 v2 (ER7) message, as agreed in CONTRACTS §4. */

/** The five (2.7+: six) delimiters a message declares in MSH-1 and MSH-2. */
export interface Delimiters {
  readonly field: string;
  readonly component: string;
  readonly repetition: string;
  readonly escape: string;
  readonly subcomponent: string;
  /** v2.7+ truncation character (5th encoding character), when the message declares one. */
  readonly truncation?: string;
}

/** Sub-components, unescaped. */
export type Hl7Component = readonly string[];
export type Hl7Repetition = readonly Hl7Component[];
export type Hl7Field = readonly Hl7Repetition[];

export interface Hl7Segment {
  /** Segment id (`PID`, `ZPI`, …). */
  readonly name: string;
  /**
   * fields[n] = field n in HL7 numbering (MSH-1 = field separator, MSH-2 = encoding characters,
   * both kept whole). fields[0] holds the segment name. An empty field has no repetitions.
   */
  readonly fields: readonly Hl7Field[];
  /** Decoded value at a segment-relative path ('3', '3[2].4.1'); undefined when absent or empty. */
  get(path: string): string | undefined;
  /** The field as it appears on the wire (still escaped); '' when absent. */
  rawField(n: number): string;
  /** The segment as it appears on the wire (no terminator). */
  toString(): string;
}

export interface MshHeader {
  /** MSH-3.1 (falls back to MSH-3.2, the universal id, when the namespace id is empty). */
  sendingApplication: string;
  sendingFacility: string;
  receivingApplication: string;
  receivingFacility: string;
  /** MSH-7.1 as sent (YYYYMMDDHHMMSS[.S][+/-ZZZZ]). */
  dateTime: string;
  /** MSH-9.1 */
  messageType: string;
  /** MSH-9.2 */
  triggerEvent: string;
  /** MSH-9.3 */
  messageStructure: string;
  /** MSH-10 */
  controlId: string;
  /** MSH-11.1 */
  processingId: string;
  /** MSH-12.1 */
  version: string;
  /** MSH-15 (AL, NE, ER, SU; '' = original acknowledgment mode) */
  acceptAckType: string;
  /** MSH-16 */
  applicationAckType: string;
  /** MSH-18, first repetition, as sent ('' when absent). */
  charset: string;
}

export type EscapeMode = 'decode' | 'keep-formatting';

export interface ParseOptions {
  /** Charset to use regardless of MSH-18 (per-sender override), e.g. '8859/1' or 'GB 18030'. */
  readonly charset?: string;
  /** Charset to use when MSH-18 is empty (default 'UNICODE UTF-8', falling back to 8859/1 on invalid bytes). */
  readonly defaultCharset?: string;
  /**
   * 'decode' (default): `\.br\`/`\.sp\` become '\n', `\H\`, `\N\` and other formatting commands are dropped.
   * 'keep-formatting': formatting sequences (`\H\`, `\N\`, `\.br\`, …) are kept verbatim for FT rendering.
   */
  readonly escapes?: EscapeMode;
  /** Reject an empty MSH-9 or MSH-10 (default true; false for reading peers' ACKs leniently). */
  readonly requireHeaderFields?: boolean;
}

export interface Hl7Message {
  readonly segments: readonly Hl7Segment[];
  readonly delimiters: Delimiters;
  readonly header: MshHeader;
  /** Decoded value at 'PID-3[2].4.1', 'MSH-9.2', 'OBX[2]-5' (1-based occurrence/repetition). */
  get(path: string): string | undefined;
  /** Every non-empty value at the path over all occurrences of the segment (unless one is named) and all repetitions (unless one is named). */
  getAll(path: string): string[];
  segmentsNamed(name: string): Hl7Segment[];
  /** ER7, CR separated; parse → toString → parse is identical. */
  toString(): string;
}
