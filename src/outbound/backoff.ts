/** @module Retry delays: exponential backoff with jitter, capped. */

export interface BackoffPolicy {
  /** Delay before the second attempt. */
  readonly baseMs: number;
  /** Upper bound for any delay. */
  readonly maxMs: number;
  /** Growth per attempt (2 = doubling). */
  readonly factor: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1_000, maxMs: 10 * 60_000, factor: 2 };

/**
 * Delay after the `attempt`-th failed try (1-based). "Equal jitter": half the exponential step is
 * fixed, half random, so many rows failing together do not come back at the same instant, and the
 * delay never collapses to zero. A destination's Retry-After wins when it is longer.
 */
export function backoffDelay(policy: BackoffPolicy, attempt: number, random: () => number, retryAfterMs?: number): number {
  const exp = Math.min(policy.maxMs, policy.baseMs * policy.factor ** Math.max(0, attempt - 1));
  const delay = exp / 2 + (exp / 2) * random();
  return Math.round(Math.max(delay, Math.min(retryAfterMs ?? 0, policy.maxMs)));
}
