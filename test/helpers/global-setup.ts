/** Fails fast, with a clear line, when DATABASE_URL is set but PostgreSQL does not answer. */
import { rmSync } from 'node:fs';
import pg from 'pg';

export default async function setup(): Promise<void> {
  // Fresh log capture for scripts/check-test-logs.ts.
  rmSync(new URL('../../test-artifacts/logs/', import.meta.url), { recursive: true, force: true });
  const url = process.env.DATABASE_URL;
  if (!url) {
    process.stdout.write('[carebridge tests] DATABASE_URL not set: running against PGlite only\n');
    return;
  }
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query('select 1');
  } catch (err) {
    throw new Error(`DATABASE_URL is set but PostgreSQL is not reachable: ${(err as Error).message}`);
  } finally {
    await client.end().catch(() => undefined);
  }
  process.stdout.write('[carebridge tests] running against PGlite and PostgreSQL\n');
}
