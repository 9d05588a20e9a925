import { describe, expect, it } from 'vitest';
import { ManualClock, dueAt, parseOffsetMs } from './clock.js';
import { formatLocal, inQuietHours, nextAllowedTime } from './local-time.js';
import { pickLanguage, renderTemplate, unknownPlaceholders } from './template.js';

describe('offsets', () => {
  it('parses days, hours, minutes, weeks and both minus signs', () => {
    expect(parseOffsetMs('+3d')).toBe(3 * 86_400_000);
    expect(parseOffsetMs('-48h')).toBe(-48 * 3_600_000);
    expect(parseOffsetMs('\u22122h')).toBe(-2 * 3_600_000);
    expect(parseOffsetMs('90m')).toBe(90 * 60_000);
    expect(parseOffsetMs('+1w')).toBe(7 * 86_400_000);
    expect(parseOffsetMs('0')).toBe(0);
    expect(() => parseOffsetMs('3 days')).toThrow(/not a time offset/);
  });
  it('computes due times from the anchor', () => {
    const anchor = new Date('2026-03-01T02:00:00Z');
    expect(dueAt(anchor, '+30d').toISOString()).toBe('2026-03-31T02:00:00.000Z');
    expect(dueAt(anchor, '-2h').toISOString()).toBe('2026-03-01T00:00:00.000Z');
  });
  it('a manual clock only moves when told', () => {
    const c = new ManualClock('2026-01-01T00:00:00Z');
    c.advance('+3d');
    c.advance(1000);
    expect(c.now().toISOString()).toBe('2026-01-04T00:00:01.000Z');
  });
});

describe('quiet hours in the patient time zone', () => {
  const quiet = { start: '21:00', end: '08:00' };
  it('22:30 in Shanghai is quiet; the next allowed time is 08:00 the next morning there', () => {
    const at = new Date('2026-03-01T14:30:00Z'); // 22:30 +08:00
    expect(inQuietHours(at, 'Asia/Shanghai', quiet)).toBe(true);
    expect(nextAllowedTime(at, 'Asia/Shanghai', quiet).toISOString()).toBe('2026-03-02T00:00:00.000Z');
  });
  it('03:00 local waits until 08:00 the same day', () => {
    const at = new Date('2026-03-01T19:00:00Z'); // 03:00 +08:00 on 03-02
    expect(nextAllowedTime(at, 'Asia/Shanghai', quiet).toISOString()).toBe('2026-03-02T00:00:00.000Z');
  });
  it('daytime is allowed as is', () => {
    const at = new Date('2026-03-01T04:00:00Z');
    expect(nextAllowedTime(at, 'Asia/Shanghai', quiet)).toBe(at);
  });
  it('handles a DST zone (New York, day after the spring change)', () => {
    const at = new Date('2026-03-09T03:00:00Z'); // 23:00 EDT on 03-08
    expect(nextAllowedTime(at, 'America/New_York', quiet).toISOString()).toBe('2026-03-09T12:00:00.000Z');
  });
  it('formats local time for templates', () => {
    expect(formatLocal(new Date('2026-03-01T06:30:00Z'), 'Asia/Shanghai')).toBe('2026-03-01 14:30');
  });
});

describe('templates', () => {
  it('renders placeholders and flags unknown ones', () => {
    expect(renderTemplate('Hi {{ patient.name }}, see you {{appointment.start}}', { 'patient.name': 'Li Lei', 'appointment.start': '2026-03-01 14:30' })).toBe('Hi Li Lei, see you 2026-03-01 14:30');
    expect(unknownPlaceholders('{{patient.name}} {{foo.bar}}')).toEqual(['foo.bar']);
  });
  it('picks zh-CN for zh, falls back to the plan language', () => {
    const t = { 'zh-CN': 'zh', en: 'en' };
    expect(pickLanguage(t, 'zh', 'en')!.language).toBe('zh-CN');
    expect(pickLanguage(t, 'en-GB', 'zh-CN')!.language).toBe('en');
    expect(pickLanguage(t, 'fr', 'zh-CN')!.language).toBe('zh-CN');
  });
});
