/**
 * @module FHIR date/dateTime/instant values as inclusive [low, high] instants at their precision:
 * `1976` covers the whole year, `1976-03-04T10:15Z` one minute. Dates without a zone are read as UTC.
 * See https://hl7.org/fhir/R4/search.html#date
 */
export interface DateRange {
  readonly low: Date;
  readonly high: Date;
}

const DATE = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

export function parseDateRange(value: string): DateRange | undefined {
  const m = DATE.exec(value.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const year = Number(y);
  const month = mo ? Number(mo) : 1;
  const day = d ? Number(d) : 1;
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return undefined;
  if (h && (Number(h) > 23 || Number(mi) > 59 || (s && Number(s) > 59))) return undefined;
  const offsetMs = zoneOffsetMs(zone);
  const ms = frac ? Math.floor(Number(`0${frac}`) * 1000) : 0;
  const low = Date.UTC(year, month - 1, day, Number(h ?? 0), Number(mi ?? 0), Number(s ?? 0), ms) - offsetMs;
  let high: number;
  if (!mo) high = Date.UTC(year + 1, 0, 1) - 1;
  else if (!d) high = Date.UTC(year, month, 1) - 1;
  else if (!h) high = Date.UTC(year, month - 1, day + 1) - 1;
  else if (!s) high = low + 60_000 - 1;
  else if (!frac) high = low + 1000 - 1;
  else high = low;
  return { low: new Date(low), high: new Date(high) };
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function zoneOffsetMs(zone: string | undefined): number {
  if (!zone || zone === 'Z') return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  const [hh, mm] = zone.slice(1).split(':').map(Number);
  return sign * (hh * 60 + mm) * 60_000;
}
