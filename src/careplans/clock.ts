/** @module The time source of the planner and scheduler, injected so tests can move time by hand. */

export interface Clock {
  now(): Date;
}

/** Wall-clock time. */
export const systemClock: Clock = { now: () => new Date() };

/**
 * A clock the tests control: it only moves when told to.
 *
 * ```ts
 * const clock = new ManualClock('2026-03-01T08:00:00Z');
 * clock.advance('+3d');
 * ```
 */
export class ManualClock implements Clock {
  #ms: number;
  constructor(start: Date | string = new Date()) {
    this.#ms = new Date(start).getTime();
  }
  now(): Date {
    return new Date(this.#ms);
  }
  set(at: Date | string): void {
    this.#ms = new Date(at).getTime();
  }
  /** Moves forward by milliseconds or by an offset such as `+3d`, `+2h`, `+15m`. */
  advance(by: number | string): void {
    this.#ms += typeof by === 'number' ? by : parseOffsetMs(by);
  }
}

const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 } as const;
export type OffsetUnit = keyof typeof UNIT_MS;

/** Offsets as written in plan files: `+3d`, `-48h`, `−2h` (Unicode minus too), `+90m`, `+1w`, `0`. */
export const OFFSET_PATTERN = '^(0|[+\\-\u2212]?[0-9]{1,5}[mhdw])$';

/** `+3d` → 259200000. Throws on anything else (the loader validates first). */
export function parseOffsetMs(offset: string): number {
  const m = /^([+\-\u2212]?)([0-9]{1,5})([mhdw])$/.exec(offset.trim());
  if (offset.trim() === '0') return 0;
  if (!m) throw new RangeError(`not a time offset: ${JSON.stringify(offset)} (expected e.g. +3d, -48h, +90m)`);
  const sign = m[1] === '-' || m[1] === '\u2212' ? -1 : 1;
  return sign * Number(m[2]) * UNIT_MS[m[3] as OffsetUnit];
}

/** Anchor + offset → due time. */
export function dueAt(anchor: Date, offset: string): Date {
  return new Date(anchor.getTime() + parseOffsetMs(offset));
}
