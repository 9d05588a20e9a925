/**
 * @module HL7 v2 TS/DTM/DT → FHIR date / dateTime / instant. A time without an offset is read in
 * the sender's time zone (mappings/senders.yaml), because FHIR requires an offset whenever a time
 * is present.
 */

const DTM = /^(\d{4})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:\.(\d{1,4}))?)?)?)?)?)?\s*(?:([+-])(\d{2})(\d{2}))?$/;

export type DateKind = 'date' | 'dateTime' | 'instant';

/** Convert, or undefined for an empty/invalid value. */
export function v2DateTime(value: string, kind: DateKind, timeZone: string): string | undefined {
  const m = DTM.exec(value.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, sign, oh, om] = m;
  if (mo && (Number(mo) < 1 || Number(mo) > 12)) return undefined;
  if (d && (Number(d) < 1 || Number(d) > daysIn(Number(y), Number(mo)))) return undefined;
  if (h && (Number(h) > 23 || Number(mi ?? 0) > 59 || Number(s ?? 0) > 59)) return undefined;
  const date = `${y}${mo ? `-${mo}` : ''}${mo && d ? `-${d}` : ''}`;
  if (kind === 'date') return date;
  if (!h || !d) return kind === 'instant' ? undefined : date;
  const time = `${h}:${mi ?? '00'}:${s ?? '00'}${frac ? `.${frac}` : ''}`;
  const offset = sign ? `${sign}${oh}:${om}` : formatOffset(zoneOffsetMinutes(timeZone, +y!, +mo!, +d!, +h, +(mi ?? 0), +(s ?? 0)));
  return `${date}T${time}${offset}`;
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
