/**
 * @module buildAck: the acknowledgment for a received message (HL7 v2 ch. 2.9, 2.14.1 MSA, 2.14.5 ERR).
 * MSH mirrors sender/receiver (swapped) and keeps the version; MSA-2 = original MSH-10; every
 * AE/AR/CE/CR carries ERR with location, table 0357 code, severity and a human text, laid out as the
 * message's version expects (ERR-1 ELD up to 2.6; ERR-2/3/4/8 from 2.5).
 */
import { randomBytes } from 'node:crypto';
import { CarebridgeError, type ErrorDetail } from '../../errors/index.js';
import { DEFAULT_DELIMITERS, encodingCharacters } from '../er7/delimiters.js';
import { encodeEscapes } from '../er7/escape.js';
import type { Delimiters, Hl7Message, MshHeader } from '../er7/types.js';
import { TABLE_0357 } from './table-0357.js';

export type AckCode = 'AA' | 'AE' | 'AR' | 'CA' | 'CE' | 'CR';

export interface AckOptions {
  readonly error?: CarebridgeError;
  /** Human text (MSA-3 / ERR-8); defaults to the error's message. */
  readonly text?: string;
  /** MSH-10 of the ACK; a fresh unique id by default. */
  readonly controlId?: string;
  /** MSH-7 of the ACK (default now). */
  readonly now?: Date;
}

let counter = 0;
const processTag = randomBytes(2).toString('hex');

/** A fresh control id: time, process tag and a counter; ≤ 20 characters (MSH-10 length up to 2.6). */
export function newControlId(): string {
  counter = (counter + 1) % 1_679_616; // 36^4
  return `${Date.now().toString(36)}${processTag}${counter.toString(36).padStart(4, '0')}`.toUpperCase();
}

/** 'YYYYMMDDHHMMSS+0000' in UTC. */
export function hl7Timestamp(d: Date): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}+0000`;
}

let stampSecond = -1;
let stampText = '';

/** hl7Timestamp(new Date()), formatted once per second (MSH-7 has second precision). */
function nowTimestamp(): string {
  const ms = Date.now();
  const second = Math.floor(ms / 1000);
  if (second !== stampSecond) {
    stampText = hl7Timestamp(new Date(second * 1000));
    stampSecond = second;
  }
  return stampText;
}

/** Numeric comparison of '2.5.1' against '2.5'. */
export function versionAtLeast(version: string, min: string): boolean {
  // Every ACK asks this two to four times for the same few versions: remember the answers (only
  // for version-sized strings: MSH-12 comes from the sender and may be anything).
  if (version.length > 16 || min.length > 16) return compareVersion(version, min);
  const key = `${version}>${min}`;
  let known = versionAnswers.get(key);
  if (known === undefined) {
    if (versionAnswers.size > 256) versionAnswers.clear();
    versionAnswers.set(key, (known = compareVersion(version, min)));
  }
  return known;
}

const versionAnswers = new Map<string, boolean>();

function compareVersion(version: string, min: string): boolean {
  const a = version.split('.').map((x) => parseInt(x, 10) || 0);
  const b = min.split('.').map((x) => parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  }
  return true;
}

/** The ACK code an error deserves in original ('AE'/'AR') or enhanced commit ('CE'/'CR') mode. */
export function ackCodeFor(error: CarebridgeError, mode: 'original' | 'enhanced' = 'original'): AckCode {
  const code = error.kind.ack;
  if (mode === 'original') return code;
  return code === 'AE' ? 'CE' : 'CR';
}

/** ACK text is kept ASCII (no MSH-18 is declared on the ACK); anything else becomes '?'. */
function asciiText(s: string): string {
  return s.replace(/[^\x20-\x7e\n]/g, '?').slice(0, 400);
}

function trimTrailing(s: string, sep: string): string {
  let end = s.length;
  while (end > 0 && s[end - 1] === sep) end--;
  return s.slice(0, end);
}

function isMessage(x: Hl7Message | MshHeader): x is Hl7Message {
  return 'segments' in x && 'header' in x && 'delimiters' in x;
}

export function buildAck(original: Hl7Message | MshHeader, code: AckCode, o: AckOptions = {}): string {
  const message = isMessage(original) ? original : undefined;
  const h: MshHeader = message ? message.header : (original as MshHeader);
  const d: Delimiters = message ? message.delimiters : DEFAULT_DELIMITERS;
  const originalMsh = message?.segments[0];
  const version = h.version || '2.5';
  const enc = (v: string): string => encodeEscapes(v, d);
  // Mirror the whole HD fields when we have them (namespace^universal id^type), swapped.
  const mshField = (n: number, fallback: string): string => (originalMsh ? originalMsh.rawField(n) : enc(fallback));
  const trigger = h.triggerEvent ? d.component + enc(h.triggerEvent) : '';
  const type = versionAtLeast(version, '2.3.1') ? `ACK${trigger}${trigger ? d.component : d.component + d.component}ACK` : `ACK${trigger}`;
  const msh = [
    'MSH', encodingCharacters(d), mshField(5, h.receivingApplication), mshField(6, h.receivingFacility),
    mshField(3, h.sendingApplication), mshField(4, h.sendingFacility), o.now ? hl7Timestamp(o.now) : nowTimestamp(), '',
    type, enc(o.controlId ?? newControlId()), enc(h.processingId || 'P'), enc(version),
  ].join(d.field);
  const isError = code !== 'AA' && code !== 'CA';
  const text = o.text ?? (isError ? o.error?.message : undefined);
  const msaText = text !== undefined && !versionAtLeast(version, '2.7') ? enc(asciiText(text)) : '';
  const msa = trimTrailing(['MSA', code, enc(h.controlId), msaText].join(d.field), d.field);
  const segments = [msh, msa];
  if (isError) segments.push(...errSegments(version, d, o.error, text));
  return segments.join('\r') + '\r';
}

function errSegments(version: string, d: Delimiters, error: CarebridgeError | undefined, text: string | undefined): string[] {
  const condition = error?.kind.hl7 ?? '207';
  const conditionText = TABLE_0357[condition] ?? '';
  const details: readonly ErrorDetail[] = error && error.details.length > 0 ? error.details : [{ diagnostics: text ?? conditionText }];
  const enc = (v: string): string => encodeEscapes(v, d);
  const location = (loc: string | undefined): string[] => (loc ? loc.split('^') : []);
  return details.map((detail) => {
    const loc = location(detail.location);
    const human = asciiText(text ?? detail.diagnostics ?? conditionText);
    // ERR-1 (ELD: segment^sequence^field^code as sub-components) is the only field up to 2.4 and is
    // kept as "backward compatible" in 2.5/2.6 for older readers; withdrawn from 2.7.
    const eld = versionAtLeast(version, '2.7')
      ? ''
      : [enc(loc[0] ?? ''), enc(loc[1] ?? ''), enc(loc[2] ?? ''), [condition, enc(conditionText), 'HL70357'].join(d.subcomponent)].join(d.component);
    if (!versionAtLeast(version, '2.5')) return ['ERR', eld].join(d.field);
    const erl = loc.map(enc).join(d.component);
    const cwe = [condition, enc(conditionText), 'HL70357'].join(d.component);
    const severity = detail.severity === 'warning' ? 'W' : detail.severity === 'information' ? 'I' : 'E';
    const diagnostics = detail.diagnostics && detail.diagnostics !== human ? enc(asciiText(detail.diagnostics)) : '';
    return ['ERR', eld, erl, cwe, severity, '', '', diagnostics, enc(human)].join(d.field);
  });
}
