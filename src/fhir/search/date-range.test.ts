import { describe, expect, it } from 'vitest';
import { parseDateRange } from './date-range.js';

const iso = (v: string) => {
  const r = parseDateRange(v);
  return r ? [r.low.toISOString(), r.high.toISOString()] : undefined;
};

describe('parseDateRange', () => {
  it('a year covers the whole year', () => {
    expect(iso('1976')).toEqual(['1976-01-01T00:00:00.000Z', '1976-12-31T23:59:59.999Z']);
  });
  it('a month covers its days (leap February)', () => {
    expect(iso('2024-02')).toEqual(['2024-02-01T00:00:00.000Z', '2024-02-29T23:59:59.999Z']);
  });
  it('a day, a minute and a second', () => {
    expect(iso('2024-03-10')).toEqual(['2024-03-10T00:00:00.000Z', '2024-03-10T23:59:59.999Z']);
    expect(iso('2024-03-10T10:15Z')).toEqual(['2024-03-10T10:15:00.000Z', '2024-03-10T10:15:59.999Z']);
    expect(iso('2024-03-10T10:15:30Z')).toEqual(['2024-03-10T10:15:30.000Z', '2024-03-10T10:15:30.999Z']);
  });
  it('applies the zone offset', () => {
    expect(iso('2024-03-10T11:00:00+01:00')?.[0]).toBe('2024-03-10T10:00:00.000Z');
  });
  it('rejects impossible or malformed dates', () => {
    expect(parseDateRange('2023-02-29')).toBeUndefined();
    expect(parseDateRange('2024-13')).toBeUndefined();
    expect(parseDateRange('yesterday')).toBeUndefined();
    expect(parseDateRange("1970' or 1=1")).toBeUndefined();
  });
});
