/** @module Destination defaults and a small builder. */
import { DEFAULT_BACKOFF, type BackoffPolicy } from './backoff.js';
import type { Channel, Destination } from './channel.js';
import { DEFAULT_CIRCUIT, type CircuitPolicy } from './destination-state.js';

export interface DestinationSettings {
  readonly concurrency?: number;
  readonly ratePerSecond?: number;
  readonly batchSize?: number;
  readonly maxAttempts?: number;
  readonly timeoutMs?: number;
  readonly backoff?: Partial<BackoffPolicy>;
  readonly circuit?: Partial<CircuitPolicy>;
}

/**
 * Defaults: 4 in flight, no rate limit, 20 attempts (1 s doubling to a 10 min cap: about two
 * hours of retrying, so an outage over lunch does not dead-letter anything), 10 s per attempt,
 * circuit opens after 5 consecutive failures for 30 s.
 */
export const DESTINATION_DEFAULTS = {
  concurrency: 4,
  ratePerSecond: 0,
  batchSize: 1,
  maxAttempts: 20,
  timeoutMs: 10_000,
} as const;

export function defineDestination(name: string, channel: Channel, s: DestinationSettings = {}): Destination {
  return {
    name,
    channel,
    concurrency: s.concurrency ?? DESTINATION_DEFAULTS.concurrency,
    ratePerSecond: s.ratePerSecond ?? DESTINATION_DEFAULTS.ratePerSecond,
    batchSize: s.batchSize ?? DESTINATION_DEFAULTS.batchSize,
    maxAttempts: s.maxAttempts ?? DESTINATION_DEFAULTS.maxAttempts,
    timeoutMs: s.timeoutMs ?? DESTINATION_DEFAULTS.timeoutMs,
    backoff: { ...DEFAULT_BACKOFF, ...s.backoff },
    circuit: { ...DEFAULT_CIRCUIT, ...s.circuit },
  };
}
