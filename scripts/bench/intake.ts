/**
 * Intake benchmark: messages/s and p50/p99 ACK latency over MLLP with ACK after commit to real
 * PostgreSQL (carebridge in its own process, WORKERS=off so only intake is measured), with 1 and 8
 * connections; in the same run and with the same client, a bare MLLP echo server and @medplum/hl7's
 * Hl7Server answering AA without storing anything; and the p99 at a paced 1,000 msg/s. For the
 * 8-connection run it also reports CPU per message of the server process and of the database's
 * PostgreSQL backends (Linux /proc, PostgreSQL on this machine) and messages per commit: on a shared
 * machine msg/s moves with the neighbours' load, CPU per message much less.
 */
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { percentile, type BenchOptions, type BenchResult } from './types.js';
import { runLoad, type LoadResult } from './intake-peers/load.js';
import { freePort, spawnReady, stopChild } from './support/processes.js';

const rate = (r: LoadResult) => r.messages / r.seconds;

/** utime + stime of a process in seconds; 0 when /proc cannot tell (not Linux, another machine). */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // USER_HZ
  } catch {
    return 0;
  }
}

interface CostSnapshot {
  readonly server: number;
  readonly backends: Map<number, number>;
  readonly commits: number;
}

/** CPU of the server and of every backend on the bench database, and its commit count. */
async function costSnapshot(db: pg.Client, serverPid: number): Promise<CostSnapshot> {
  const pids = await db.query<{ pid: number }>('select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()');
  // Transaction counts reach pg_stat_database at most once a second per backend.
  await new Promise((r) => setTimeout(r, 1100));
  const commits = await db.query<{ n: string }>('select xact_commit as n from pg_stat_database where datname = current_database()');
  return { server: cpuSeconds(serverPid), backends: new Map(pids.rows.map((r) => [r.pid, cpuSeconds(r.pid)])), commits: Number(commits.rows[0]?.n ?? 0) };
}

export async function run(opts: BenchOptions): Promise<BenchResult[]> {
  const n = opts.quick ? 2_000 : 20_000;
  const results: BenchResult[] = [];
  const measure = async (name: string, port: number) => {
    await runLoad(port, { total: Math.min(500, n), connections: 8, prefix: `${name}-warm-` });
    const one = await runLoad(port, { total: Math.round(n / 2), connections: 1, prefix: `${name}-1-` });
    const eight = await runLoad(port, { total: n, connections: 8, prefix: `${name}-8-` });
    if (one.notAA || eight.notAA) throw new Error(`${name}: ${one.notAA + eight.notAA} answers were not AA`);
    return { one, eight };
  };

  const peers: Record<string, { one: LoadResult; eight: LoadResult }> = {};
  for (const kind of ['echo', 'medplum'] as const) {
    const port = await freePort();
    const child = await spawnReady({ args: ['scripts/bench/intake-peers/peer-server.ts', kind, String(port)], ready: /READY/ });
    try {
      peers[kind] = await measure(kind, port);
    } finally {
      await stopChild(child);
    }
  }

  const mllpPort = await freePort();
  // LOG_LEVEL=info: intake logs nothing per message at info; the ready line says when to start.
  const child = await spawnReady({
    args: ['src/main.ts'],
    env: { DATABASE_URL: opts.databaseUrl, MLLP_PORT: String(mllpPort), PORT: '0', HOST: '127.0.0.1', WORKERS: 'off', LOG_LEVEL: 'info', CAREBRIDGE_ADMIN_TOKEN: 'bench-admin-token-0123456789' },
    ready: /carebridge ready/,
  });
  let cb: { one: LoadResult; eight: LoadResult };
  let paced: LoadResult;
  let cost: { serverUs: number; postgresUs: number; perCommit: number } | undefined;
  const db = new pg.Client({ connectionString: opts.databaseUrl });
  try {
    await db.connect();
    cb = await measure('cb', mllpPort);
    // The 8-connection run again, with its costs (the first one stays as the headline rate).
    const before = await costSnapshot(db, child.pid!);
    const again = await runLoad(mllpPort, { total: n, connections: 8, prefix: 'cb-cost-' });
    const after = await costSnapshot(db, child.pid!);
    const backendSeconds = [...after.backends].reduce((sum, [pid, t]) => sum + t - (before.backends.get(pid) ?? 0), 0);
    if (after.server > 0) {
      cost = {
        serverUs: ((after.server - before.server) * 1e6) / again.messages,
        postgresUs: (backendSeconds * 1e6) / again.messages,
        // Less the snapshot's own statements (one per snapshot).
        perCommit: again.messages / Math.max(1, after.commits - before.commits - 2),
      };
    }
    paced = await runLoad(mllpPort, { total: opts.quick ? 2_000 : 10_000, connections: 8, ratePerSec: 1000, prefix: 'cb-paced-' });
  } finally {
    await db.end().catch(() => undefined);
    await stopChild(child);
  }

  const p = (r: LoadResult, q: number) => percentile(r.latenciesMs, q);
  results.push(
    { name: 'intake MLLP ACK-after-commit, 8 connections', value: rate(cb.eight), unit: 'msg/s', target: '≥ 6,000 msg/s', baseline: { name: '@medplum/hl7 Hl7Server (no storage), 8 connections', value: rate(peers.medplum!.eight) } },
    { name: 'intake MLLP ACK-after-commit, 1 connection', value: rate(cb.one), unit: 'msg/s', baseline: { name: '@medplum/hl7 Hl7Server (no storage), 1 connection', value: rate(peers.medplum!.one) } },
    { name: 'intake ACK latency p50, 8 connections', value: p(cb.eight, 50), unit: 'ms' },
    { name: 'intake ACK latency p99, 8 connections', value: p(cb.eight, 99), unit: 'ms' },
    { name: 'intake ACK latency p50, 1 connection', value: p(cb.one, 50), unit: 'ms' },
    { name: 'intake ACK latency p99, 1 connection', value: p(cb.one, 99), unit: 'ms' },
    { name: 'intake ACK latency p99 at 1,000 msg/s (8 connections, paced)', value: p(paced, 99), unit: 'ms', target: '≤ 20 ms' },
    { name: 'bare MLLP echo, 8 connections', value: rate(peers.echo!.eight), unit: 'msg/s' },
    { name: 'bare MLLP echo, 1 connection', value: rate(peers.echo!.one), unit: 'msg/s' },
    { name: '@medplum/hl7 Hl7Server, 8 connections', value: rate(peers.medplum!.eight), unit: 'msg/s' },
    { name: '@medplum/hl7 Hl7Server, 1 connection', value: rate(peers.medplum!.one), unit: 'msg/s' },
  );
  if (cost) {
    results.push(
      { name: 'intake, 8 connections: server process CPU per message', value: cost.serverUs / 1000, unit: 'ms' },
      { name: 'intake, 8 connections: PostgreSQL backends CPU per message', value: cost.postgresUs / 1000, unit: 'ms' },
      { name: 'intake, 8 connections: messages per commit', value: cost.perCommit, unit: 'msg/commit' },
    );
  }
  return results;
}
