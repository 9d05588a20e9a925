/**
 * A private PostgreSQL cluster for fault tests that stop and start the database: the machine's
 * shared cluster is never touched. initdb refuses to run as root, so as root the cluster is owned
 * by and run as the `postgres` user (runuser).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../helpers/ports.js';

const run = promisify(execFile);
const BIN = process.env.PG_BIN_DIR ?? '/usr/lib/postgresql/15/bin';

export interface PrivatePostgres {
  readonly url: string;
  readonly port: number;
  start(): Promise<void>;
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  destroy(): Promise<void>;
}

/** Why the private cluster cannot run here, or undefined when it can. */
export function privatePostgresUnavailable(): string | undefined {
  if (!existsSync(join(BIN, 'initdb')) || !existsSync(join(BIN, 'pg_ctl'))) return `PostgreSQL binaries not found in ${BIN} (set PG_BIN_DIR)`;
  return undefined;
}

async function asOwner(cmd: string, args: string[]): Promise<void> {
  const isRoot = process.getuid?.() === 0;
  if (isRoot) await run('runuser', ['-u', 'postgres', '--', join(BIN, cmd), ...args]);
  else await run(join(BIN, cmd), args);
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'cb-pg-'));
  chmodSync(dir, 0o777);
  if (process.getuid?.() === 0) await run('chown', ['postgres', dir]);
  const data = join(dir, 'data');
  const port = await freePort();
  await asOwner('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=50 -c shared_buffers=32MB`;
  const start = () => asOwner('pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'log'), '-w', '-t', '30', 'start']);
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    start,
    stop: (mode = 'fast') => asOwner('pg_ctl', ['-D', data, '-m', mode, '-w', '-t', '30', 'stop']),
    async destroy() {
      await asOwner('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
