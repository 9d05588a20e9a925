import { describe, expect, it } from 'vitest';
import { v2DateTime } from './datetime.js';

describe('v2DateTime', () => {
  it('keeps an explicit offset', () => {
    expect(v2DateTime('20261101083000+0215', 'dateTime', 'UTC')).toBe('2026-11-01T08:30:00+02:15');
  });
  it('reads a time without offset in the sender zone, across DST', () => {
    expect(v2DateTime('202607011200', 'dateTime', 'Europe/Berlin')).toBe('2026-07-01T12:00:00+02:00');
    expect(v2DateTime('202612011200', 'dateTime', 'Europe/Berlin')).toBe('2026-12-01T12:00:00+01:00');
    expect(v2DateTime('20261201120000', 'dateTime', 'UTC')).toBe('2026-12-01T12:00:00Z');
  });
  it('keeps partial dates and rejects impossible ones', () => {
    expect(v2DateTime('197003', 'dateTime', 'UTC')).toBe('1970-03');
    expect(v2DateTime('19700315', 'date', 'UTC')).toBe('1970-03-15');
    expect(v2DateTime('198808181126+0215', 'date', 'UTC')).toBe('1988-08-18');
    expect(v2DateTime('20260231', 'date', 'UTC')).toBeUndefined();
    expect(v2DateTime('2026133', 'date', 'UTC')).toBeUndefined();
    expect(v2DateTime('19700315', 'instant', 'UTC')).toBeUndefined();
  });
  it('reads the TS grammar edges: fraction, blanks before the offset, nothing else', () => {
    expect(v2DateTime(' 20261201120000.1234 -0530 ', 'instant', 'UTC')).toBe('2026-12-01T12:00:00.1234-05:30');
    expect(v2DateTime('2026120112+0100', 'dateTime', 'UTC')).toBe('2026-12-01T12:00:00+01:00');
    expect(v2DateTime('2026+0100', 'dateTime', 'UTC')).toBe('2026');
    expect(v2DateTime('20261201120000.12345', 'dateTime', 'UTC')).toBeUndefined();
    expect(v2DateTime('20261201120000.', 'dateTime', 'UTC')).toBeUndefined();
    expect(v2DateTime('202612011200.5', 'dateTime', 'UTC')).toBeUndefined();
    expect(v2DateTime('20261201120', 'dateTime', 'UTC')).toBeUndefined();
    expect(v2DateTime('20261201+01', 'dateTime', 'UTC')).toBeUndefined();
    expect(v2DateTime('20261201120060', 'dateTime', 'UTC')).toBeUndefined();
    expect(v2DateTime('2026120124', 'date', 'UTC')).toBeUndefined();
    expect(v2DateTime('', 'date', 'UTC')).toBeUndefined();
  });
});
