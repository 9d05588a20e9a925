/**
 * @module Wall-clock arithmetic in a patient's time zone (IANA names, via Intl): quiet hours and
 * "the next allowed time", without a date library.
 */

export interface QuietHours {
  /** Local `HH:MM` when quiet time starts (e.g. `21:00`). */
  readonly start: string;
  /** Local `HH:MM` when it ends (e.g. `08:00`); may be earlier than start (spans midnight). */
  readonly end: string;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    formatters.set(timeZone, f);
  }
  return f;
}

/** True when `timeZone` is an IANA zone this runtime knows. */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** Local wall-clock parts of an instant in a zone. */
export function localParts(at: Date, timeZone: string): { year: number; month: number; day: number; hour: number; minute: number; second: number } {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(at)) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return { year: parts.year!, month: parts.month!, day: parts.day!, hour: parts.hour! % 24, minute: parts.minute!, second: parts.second! };
}

/** Offset of the zone from UTC at that instant, in minutes. */
export function zoneOffsetMinutes(at: Date, timeZone: string): number {
  const p = localParts(at, timeZone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return Math.round((asUtc - Math.floor(at.getTime() / 1000) * 1000) / 60_000);
}

/** The instant when the local clock in `timeZone` shows the given wall time (DST-safe to the minute). */
export function instantAtLocal(year: number, month: number, day: number, hour: number, minute: number, timeZone: string): Date {
  const guess = Date.UTC(year, month - 1, day, hour, minute);
  // Two passes settle the offset across a DST change.
  let at = new Date(guess - zoneOffsetMinutes(new Date(guess), timeZone) * 60_000);
  at = new Date(guess - zoneOffsetMinutes(at, timeZone) * 60_000);
  return at;
}

function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return h! * 60 + m!;
}

/** Whether the local time of `at` falls inside quiet hours. */
export function inQuietHours(at: Date, timeZone: string, quiet: QuietHours): boolean {
  const p = localParts(at, timeZone);
  const now = p.hour * 60 + p.minute;
  const start = minutesOf(quiet.start);
  const end = minutesOf(quiet.end);
  if (start === end) return false;
  return start < end ? now >= start && now < end : now >= start || now < end;
}

/** `at` itself when allowed, else the end of the current quiet period (local `end` time). */
export function nextAllowedTime(at: Date, timeZone: string, quiet: QuietHours): Date {
  if (!inQuietHours(at, timeZone, quiet)) return at;
  const p = localParts(at, timeZone);
  const end = minutesOf(quiet.end);
  const nowMin = p.hour * 60 + p.minute;
  // Quiet time that started yesterday evening ends today; one that started tonight ends tomorrow.
  const endsToday = nowMin < end;
  const base = new Date(Date.UTC(p.year, p.month - 1, p.day + (endsToday ? 0 : 1)));
  return instantAtLocal(base.getUTCFullYear(), base.getUTCMonth() + 1, base.getUTCDate(), Math.floor(end / 60), end % 60, timeZone);
}

/** Human local date-time for message templates, e.g. `2026-03-04 14:30`. */
export function formatLocal(at: Date, timeZone: string): string {
  const p = localParts(at, timeZone);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${p.year}-${two(p.month)}-${two(p.day)} ${two(p.hour)}:${two(p.minute)}`;
}
