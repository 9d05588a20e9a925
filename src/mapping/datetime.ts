/**
 * @module HL7 v2 TS/DTM/DT → FHIR date / dateTime / instant. A time without an offset is read in
 * the sender's time zone (mappings/senders.yaml), because FHIR requires an offset whenever a time
 * is present.
 */

/**
 * The grammar, as a regular expression (the scanner below reads the same strings, without the
 * regex, the ten capture strings and their Number() per value):
 * ^(\d{4})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:\.(\d{1,4}))?)?)?)?)?)?\s*(?:([+-])(\d{2})(\d{2}))?$
 * on the trimmed value.
 */
export type DateKind = 'date' | 'dateTime' | 'instant';

/** Convert, or undefined for an empty/invalid value. */
export function v2DateTime(value: string, kind: DateKind, timeZone: string): string | undefined {
  const t = value.trim();
  const len = t.length;
  let i = 0;
  while (i < len && isDigit(t.charCodeAt(i))) i++;
  const nd = i; // 4 (year), 6 (+month), 8 (+day), 10 (+hour), 12 (+minute), 14 (+second)
  if (nd < 4 || nd > 14 || (nd & 1) === 1) return undefined;
  let fracEnd = nd;
  if (i < len && t.charCodeAt(i) === 46 /* . */) {
    if (nd !== 14) return undefined;
    i++;
    while (i < len && isDigit(t.charCodeAt(i))) i++;
    if (i === nd + 1 || i > nd + 5) return undefined;
    fracEnd = i;
  }
  while (i < len && isSpace(t.charCodeAt(i))) i++;
  let sign = -1;
  if (i < len) {
    const c = t.charCodeAt(i);
    if ((c !== 43 /* + */ && c !== 45 /* - */) || len - i !== 5) return undefined;
    for (let k = i + 1; k < len; k++) if (!isDigit(t.charCodeAt(k))) return undefined;
    sign = i;
  }
  const mo = nd >= 6 ? two(t, 4) : 0;
  if (nd >= 6 && (mo < 1 || mo > 12)) return undefined;
  const y = (two(t, 0) * 100) + two(t, 2);
  const d = nd >= 8 ? two(t, 6) : 0;
  if (nd >= 8 && (d < 1 || d > daysIn(y, mo))) return undefined;
  const h = nd >= 10 ? two(t, 8) : 0;
  const mi = nd >= 12 ? two(t, 10) : 0;
  const s = nd >= 14 ? two(t, 12) : 0;
  if (nd >= 10 && (h > 23 || mi > 59 || s > 59)) return undefined;
  const date = nd >= 8 ? `${t.slice(0, 4)}-${t.slice(4, 6)}-${t.slice(6, 8)}` : nd >= 6 ? `${t.slice(0, 4)}-${t.slice(4, 6)}` : t.slice(0, 4);
  if (kind === 'date') return date;
  if (nd < 10) return kind === 'instant' ? undefined : date;
  const time = `${t.slice(8, 10)}:${nd >= 12 ? t.slice(10, 12) : '00'}:${nd >= 14 ? t.slice(12, 14) : '00'}${fracEnd > nd ? t.slice(nd, fracEnd) : ''}`;
  const offset = sign >= 0 ? `${t[sign]}${t.slice(sign + 1, sign + 3)}:${t.slice(sign + 3, sign + 5)}` : formatOffset(zoneOffsetMinutes(timeZone, y, mo, d, h, mi, s));
  return `${date}T${time}${offset}`;
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
/** Two ASCII digits at `i` as a number. */
const two = (t: string, i: number): number => (t.charCodeAt(i) - 48) * 10 + (t.charCodeAt(i + 1) - 48);

/** What `\s` matches (WhiteSpace and LineTerminator, as String.prototype.trim removes). */
function isSpace(c: number): boolean {
  if (c <= 32) return c === 32 || (c >= 9 && c <= 13);
  if (c < 0xa0) return false;
  return c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const daysIn = (y: number, m: number): number => (m === 2 && (y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0)) ? 29 : MONTH_DAYS[m - 1]!);

function formatOffset(min: number): string {
  if (min === 0) return 'Z';
  const sign = min < 0 ? '-' : '+';
  const a = Math.abs(min);
  return `${sign}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Offset of a wall-clock time in an IANA zone, in minutes east of UTC. */
export function zoneOffsetMinutes(timeZone: string, y: number, mo: number, d: number, h: number, mi: number, s: number): number {
  if (timeZone === 'UTC' || timeZone === 'Z') return 0;
  let fmt = formatters.get(timeZone);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    formatters.set(timeZone, fmt);
  }
  const wall = Date.UTC(y, mo - 1, d, h, mi, s);
  // Two rounds: the first guess uses the offset at the wall time read as UTC, the second corrects across DST edges.
  let offset = offsetAt(fmt, wall);
  offset = offsetAt(fmt, wall - offset * 60_000);
  return offset;
}

function offsetAt(fmt: Intl.DateTimeFormat, utcMs: number): number {
  const p: Record<string, number> = {};
  for (const part of fmt.formatToParts(new Date(utcMs))) if (part.type !== 'literal') p[part.type] = Number(part.value);
  const asUtc = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!);
  return Math.round((asUtc - Math.floor(utcMs / 1000) * 1000) / 60_000);
}

/** Throws RangeError for an unknown IANA zone (checked when senders.yaml loads). */
export function assertTimeZone(timeZone: string): void {
  if (timeZone === 'UTC') return;
  new Intl.DateTimeFormat('en-US', { timeZone });
}
