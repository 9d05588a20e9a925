/**
 * @module Per-destination state shared by every process through the database: paused by an admin,
 * and the circuit breaker (consecutive failures → open until a time; after it, one probe at a time
 * until a success closes it).
 */
import { sql, type AnyDb } from '../db/index.js';
import type { OutboundTables } from './tables.js';

export interface CircuitPolicy {
  /** Consecutive failed attempts that open the circuit. */
  readonly failureThreshold: number;
  /** How long an open circuit pauses the destination. */
  readonly openMs: number;
}

export const DEFAULT_CIRCUIT: CircuitPolicy = { failureThreshold: 5, openMs: 30_000 };

export interface DestinationState {
  readonly name: string;
  readonly paused: boolean;
  readonly pausedReason?: string;
  readonly consecutiveFailures: number;
  readonly circuitOpenUntil?: Date;
  readonly lastError?: string;
  readonly lastErrorAt?: Date;
  readonly lastSuccessAt?: Date;
}

const tables = (db: AnyDb) => db.withTables<OutboundTables>();

export async function ensureDestinations(db: AnyDb, names: readonly string[]): Promise<void> {
  if (names.length === 0) return;
  await tables(db).insertInto('outbound_destination').values(names.map((name) => ({ name }))).onConflict((oc) => oc.column('name').doNothing()).execute();
}

export async function readDestinationStates(db: AnyDb): Promise<Map<string, DestinationState>> {
  const rows = await tables(db).selectFrom('outbound_destination').selectAll().execute();
  return new Map(
    rows.map((r) => [
      r.name,
      {
        name: r.name,
        paused: r.paused,
        pausedReason: r.paused_reason ?? undefined,
        consecutiveFailures: r.consecutive_failures,
        circuitOpenUntil: r.circuit_open_until ? new Date(r.circuit_open_until) : undefined,
        lastError: r.last_error ?? undefined,
        lastErrorAt: r.last_error_at ? new Date(r.last_error_at) : undefined,
        lastSuccessAt: r.last_success_at ? new Date(r.last_success_at) : undefined,
      },
    ]),
  );
}

export async function setPaused(db: AnyDb, name: string, paused: boolean, reason?: string): Promise<void> {
  await ensureDestinations(db, [name]);
  // Resume also closes the circuit: the admin says the destination is fixed.
  await tables(db)
    .updateTable('outbound_destination')
    .set(paused ? { paused: true, paused_reason: reason ?? 'paused by admin' } : { paused: false, paused_reason: null, circuit_open_until: null, consecutive_failures: 0 })
    .where('name', '=', name)
    .execute();
}

/** A success closes the circuit. */
export async function recordSuccess(db: AnyDb, name: string, at: Date): Promise<void> {
  // Written at most once a second per destination when healthy: a success per row would double the writes.
  const stale = new Date(at.getTime() - 1000);
  await sql`update outbound_destination set consecutive_failures = 0, circuit_open_until = null, last_success_at = ${at}
            where name = ${name} and (consecutive_failures <> 0 or circuit_open_until is not null or last_success_at is null or last_success_at < ${stale})`.execute(db);
}

/** A failed attempt; opens the circuit when the threshold is reached. */
export async function recordFailure(db: AnyDb, name: string, at: Date, error: string, policy: CircuitPolicy): Promise<void> {
  const openUntil = new Date(at.getTime() + policy.openMs);
  await sql`update outbound_destination
               set consecutive_failures = consecutive_failures + 1,
                   circuit_open_until = case when consecutive_failures + 1 >= ${policy.failureThreshold} then ${openUntil}::timestamptz else circuit_open_until end,
                   last_error = ${error.slice(0, 500)}, last_error_at = ${at}
             where name = ${name}`.execute(db);
}

/** How many rows a worker may claim for this destination now: 0 when paused or open, 1 while probing. */
export function admission(state: DestinationState | undefined, policy: CircuitPolicy, now: Date): 'closed' | 'open' | 'probe' | 'paused' {
  if (!state) return 'closed';
  if (state.paused) return 'paused';
  if (state.circuitOpenUntil && state.circuitOpenUntil > now) return 'open';
  if (state.consecutiveFailures >= policy.failureThreshold) return 'probe';
  return 'closed';
}
