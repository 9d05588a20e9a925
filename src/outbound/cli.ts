/**
 * @module `carebridge outbound …`: list dead letters, replay them (with a progress bar, optionally
 * waiting until the running servers delivered them), and per-destination counts.
 *
 * ```
 * carebridge outbound status
 * carebridge outbound dead-letters --destination crm-webhook
 * carebridge outbound replay --destination crm-webhook --wait
 * carebridge outbound replay --ids 12,13
 * ```
 */
import { parseArgs } from 'node:util';
import { sql, type AnyDb } from '../db/index.js';
import { readDestinationStates } from './destination-state.js';
import { countByDestination, listOutboxMessages, replayDeadLetters } from './outbox.js';

export interface OutboundCliDeps {
  open(): Promise<{ db: AnyDb; close(): Promise<void> }>;
  write?: (s: string) => void;
  /** Poll interval while waiting for replayed rows (tests shorten it). */
  pollMs?: number;
}

const USAGE = `Usage:
  carebridge outbound status
  carebridge outbound dead-letters [--destination NAME] [--limit N] [--after ID]
  carebridge outbound replay (--destination NAME | --ids 1,2,3) [--wait] [--timeout SECONDS]
`;

/** `[#########-----------] 45/100  45%` */
export function progressBar(done: number, total: number, width = 30): string {
  const ratio = total === 0 ? 1 : Math.min(1, done / total);
  const filled = Math.round(ratio * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total} ${String(Math.round(ratio * 100)).padStart(3)}%`;
}

export function outboundCommand(deps: OutboundCliDeps) {
  const write = deps.write ?? ((s: string) => void process.stdout.write(s));
  return {
    name: 'outbound',
    summary: 'outbox: status, dead-letters, replay (with a progress bar)',
    async run(args: readonly string[]): Promise<number> {
      const [sub, ...rest] = args;
      if (!sub || sub === '--help' || sub === 'help') {
        write(USAGE);
        return sub ? 0 : 2;
      }
      let parsed;
      try {
        parsed = parseArgs({ args: [...rest], options: { destination: { type: 'string' }, limit: { type: 'string' }, after: { type: 'string' }, ids: { type: 'string' }, wait: { type: 'boolean' }, timeout: { type: 'string' } } });
      } catch (err) {
        write(`carebridge outbound: ${(err as Error).message}\n${USAGE}`);
        return 2;
      }
      const o = parsed.values;
      const { db, close } = await deps.open();
      try {
        if (sub === 'status') return await status(db, write);
        if (sub === 'dead-letters') return await deadLetters(db, write, o.destination, Number(o.limit ?? 50), o.after ? Number(o.after) : undefined);
        if (sub === 'replay') {
          const ids = o.ids ? o.ids.split(',').map((s) => Number(s.trim())) : undefined;
          if ((!ids && !o.destination) || ids?.some((i) => !Number.isSafeInteger(i))) {
            write(`carebridge outbound replay: give --destination NAME or --ids 1,2,3\n`);
            return 2;
          }
          return await replay(db, write, { destination: o.destination, ids, wait: o.wait ?? false, timeoutMs: Number(o.timeout ?? 300) * 1000, pollMs: deps.pollMs ?? 500 });
        }
        write(`carebridge outbound: unknown subcommand '${sub}'\n${USAGE}`);
        return 2;
      } finally {
        await close();
      }
    },
  };
}

async function status(db: AnyDb, write: (s: string) => void): Promise<number> {
  const [counts, states] = await Promise.all([countByDestination(db), readDestinationStates(db)]);
  const names = [...new Set([...counts.keys(), ...states.keys()])].sort();
  write(`${'destination'.padEnd(24)} ${'pending'.padStart(8)} ${'inflight'.padStart(8)} ${'failed'.padStart(8)} ${'dead'.padStart(8)}  state      last error\n`);
  for (const n of names) {
    const c = counts.get(n) ?? { pending: 0, inFlight: 0, failed: 0, deadLettered: 0 };
    const s = states.get(n);
    const state = s?.paused ? 'paused' : s?.circuitOpenUntil && s.circuitOpenUntil > new Date() ? 'open' : 'ok';
    write(`${n.padEnd(24)} ${String(c.pending).padStart(8)} ${String(c.inFlight).padStart(8)} ${String(c.failed).padStart(8)} ${String(c.deadLettered).padStart(8)}  ${state.padEnd(10)} ${s?.lastError ?? ''}\n`);
  }
  return 0;
}

async function deadLetters(db: AnyDb, write: (s: string) => void, destination: string | undefined, limit: number, afterId?: number): Promise<number> {
  const rows = await listOutboxMessages(db, { destination, status: 'dead', limit, afterId });
  for (const r of rows) {
    write(`${String(r.id).padStart(8)}  ${r.destination}  ${r.resource ?? '-'}  attempts=${r.attempts}  ${r.lastStatus ?? ''} ${r.lastError ?? ''}  key=${r.idempotencyKey}\n`);
  }
  write(`${rows.length} dead letter(s)${rows.length === limit ? ` (more: --after ${rows[rows.length - 1]!.id})` : ''}\n`);
  return 0;
}

async function replay(db: AnyDb, write: (s: string) => void, o: { destination?: string; ids?: number[]; wait: boolean; timeoutMs: number; pollMs: number }): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from outbound_message where status = 'dead'
      and (${o.destination ?? null}::text is null or destination = ${o.destination ?? null})
      and (${o.ids ? o.ids.length : 0} = 0 or id = any(${o.ids ?? []}::bigint[]))`.execute(db);
  const total = rows[0]?.n ?? 0;
  const requeued: number[] = [];
  write(`requeue  ${progressBar(0, total)}`);
  while (requeued.length < total) {
    const ids = await replayDeadLetters(db, { destination: o.ids ? undefined : o.destination, ids: o.ids, limit: 100, now: new Date() });
    if (ids.length === 0) break;
    requeued.push(...ids);
    write(`\rrequeue  ${progressBar(requeued.length, total)}`);
  }
  write(`\n${requeued.length} dead letter(s) requeued\n`);
  if (!o.wait || requeued.length === 0) return 0;
  const deadline = Date.now() + o.timeoutMs;
  for (;;) {
    const { rows: st } = await sql<{ status: string; n: number }>`
      select status, count(*)::int as n from outbound_message where id = any(${requeued}::bigint[]) group by status`.execute(db);
    const by = Object.fromEntries(st.map((r) => [r.status, r.n])) as Record<string, number>;
    const settled = (by.delivered ?? 0) + (by.dead ?? 0);
    write(`\rdeliver  ${progressBar(by.delivered ?? 0, requeued.length)}  dead again: ${by.dead ?? 0}`);
    if (settled >= requeued.length) {
      write('\n');
      return by.dead ? 1 : 0;
    }
    if (Date.now() > deadline) {
      write(`\ntimed out with ${requeued.length - settled} still pending (is a server with WORKERS=on running?)\n`);
      return 1;
    }
    await new Promise((r) => setTimeout(r, o.pollMs));
  }
}
