/** Fails fast, with a clear line, when DATABASE_URL is set but PostgreSQL does not answer; makes the run's PGlite dump folder. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';

export default async function setup(project: TestProject): Promise<() => void> {
  // Fresh log capture for scripts/check-test-logs.ts.
  rmSync(new URL('../../test-artifacts/logs/', import.meta.url), { recursive: true, force: true });
  // PGlite data-folder dumps for this run only (test/helpers/db.ts).
  const dumpDir = mkdtempSync(join(tmpdir(), 'cb-test-pglite-'));
  project.provide('pgliteDumpDir', dumpDir);
  const teardown = () => rmSync(dumpDir, { recursive: true, force: true });
  const url = process.env.DATABASE_URL;
  if (!url) {
    process.stdout.write('[carebridge tests] DATABASE_URL not set: running against PGlite only\n');
    return teardown;
  }
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query('select 1');
  } catch (err) {
    teardown();
    throw new Error(`DATABASE_URL is set but PostgreSQL is not reachable: ${(err as Error).message}`);
  } finally {
    await client.end().catch(() => undefined);
  }
  process.stdout.write('[carebridge tests] running against PGlite and PostgreSQL\n');
  return teardown;
}
