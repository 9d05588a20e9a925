/** @module A token bucket: at most `perSecond` sends per destination per process, with a small burst. */

export class TokenBucket {
  #tokens: number;
  #last: number;
  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    now: number,
  ) {
    this.#tokens = burst;
    this.#last = now;
  }

  /** Takes up to `want` tokens now; returns how many were granted. */
  take(want: number, now: number): number {
    if (!Number.isFinite(this.perSecond) || this.perSecond <= 0) return want;
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#last) / 1000) * this.perSecond);
    this.#last = now;
    const granted = Math.max(0, Math.min(want, Math.floor(this.#tokens)));
    this.#tokens -= granted;
    return granted;
  }

  /** Milliseconds until at least one token is available. */
  waitMs(): number {
    if (!Number.isFinite(this.perSecond) || this.perSecond <= 0 || this.#tokens >= 1) return 0;
    return Math.ceil(((1 - this.#tokens) / this.perSecond) * 1000);
  }
}
