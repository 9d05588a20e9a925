/**
 * Test databases: every test file gets its own fresh database. PGlite (in memory) always; real
 * PostgreSQL as well when DATABASE_URL is set (a new database per call, dropped on close).
 *
 * ```ts
 * describe.each(testDatabaseKinds())('store on %s', (kind) => {
 *   let t: TestDatabase;
 *   beforeAll(async () => { t = await openTestDatabase(kind, allMigrations()); });
 *   afterAll(() => t.close());
 * });
 * ```
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { inject } from 'vitest';
import { openDatabase, runMigrations, type Database, type DatabaseKind, type Migration } from '../../src/db/index.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A folder for this run only (global setup), where the first PGlite after initdb is dumped. */
    pgliteDumpDir: string;
  }
}

export interface TestDatabase extends Database {
  /** postgres URL of this test's own database (undefined for PGlite). */
  readonly url?: string;
}

/** 'pglite' always, plus 'postgres' when DATABASE_URL is set. */
export function testDatabaseKinds(): DatabaseKind[] {
  return process.env.DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];
}

/** Only real PostgreSQL (for tests that need several connections or processes); [] without it. */
export function postgresOnly(): DatabaseKind[] {
  return process.env.DATABASE_URL ? ['postgres'] : [];
}

/** A new, empty PostgreSQL database on the DATABASE_URL server; returns its URL and a dropper. */
export async function createPostgresDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const base = process.env.DATABASE_URL;
  if (!base) throw new Error('DATABASE_URL is not set');
  const name = `cb_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      try {
        await c.query(`drop database if exists ${name} with (force)`);
      } finally {
        await c.end();
      }
    },
  };
}

let initdbDump: Promise<Blob> | undefined;

/**
 * A fresh PGlite runs initdb, seconds of CPU each time; every test PGlite instead starts from one
 * dump of a just-initialised cluster, made by the first test file that needs it in this run. The
 * dump holds no migrations: each test still runs its own.
 */
function pgliteInitdbDump(): Promise<Blob> {
  return (initdbDump ??= (async () => {
    const file = join(inject('pgliteDumpDir'), 'initdb.tar');
    if (existsSync(file)) return new Blob([readFileSync(file)]);
    const pglite = new PGlite('memory://');
    await pglite.waitReady; // dumpDataDir before ready never settles
    const dump = await pglite.dumpDataDir('none');
    await pglite.close();
    const partial = `${file}.${process.pid}`;
    writeFileSync(partial, Buffer.from(await dump.arrayBuffer()));
    renameSync(partial, file); // atomic: another fork never reads half a dump
    return dump;
  })());
}

export async function openTestDatabase(kind: DatabaseKind, migrations: readonly Migration[] = [], options: { poolSize?: number } = {}): Promise<TestDatabase> {
  if (kind === 'pglite') {
    const database = await openDatabase({ pgliteDump: await pgliteInitdbDump() });
    await runMigrations(database.db, migrations);
    return database;
  }
  const { url, drop } = await createPostgresDatabase();
  const database = await openDatabase({ url, poolSize: options.poolSize ?? 10 });
  await runMigrations(database.db, migrations);
  return {
    ...database,
    url,
    close: async () => {
      await database.close();
      await drop();
    },
  };
}
