/**
 * @module Opens the one database carebridge runs on: PostgreSQL through `pg` when a URL is given,
 * otherwise PGlite in a data folder (or in memory for tests). Both speak the same SQL via kysely.
 */
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { PGliteDialect } from './pglite-dialect.js';

/** The base handle; each room narrows it with `db.withTables<ItsTables>()`. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export type AnyDb = Kysely<{}>;

export type DatabaseKind = 'postgres' | 'pglite';

export interface DatabaseOptions {
  /** postgres://… — absent means PGlite. */
  readonly url?: string;
  /** PGlite data folder; absent (with no url) means an in-memory PGlite. */
  readonly dataDir?: string;
  /** pg pool size. */
  readonly poolSize?: number;
  /** Per-statement limit so one query cannot hold the database (PostgreSQL only). */
  readonly statementTimeoutMs?: number;
  /**
   * PGlite only: start from this dump of a data folder (`PGlite.dumpDataDir`) instead of running
   * initdb, which costs seconds of CPU per instance (tests load one prepared dump).
   */
  readonly pgliteDump?: Blob;
}

export interface Database {
  readonly db: AnyDb;
  readonly kind: DatabaseKind;
  /** Closes the pool or PGlite instance. */
  close(): Promise<void>;
}

/**
 * A statement whose text starts with this comment runs as a named prepared statement: parsed and
 * planned once per pooled connection instead of on every call (for PostgreSQL most of the cost of a
 * lookup by key). For fixed texts only: each distinct text stays prepared as long as the connection.
 */
export const PREPARED = '/* prepared */ ';

const INT8_OID = 20;
// Counters and sequences fit in a double long before they overflow 2^53.
const parseInt8 = (value: string): number => Number(value);

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.url) {
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize ?? 10,
      statement_timeout: options.statementTimeoutMs,
      types: {
        getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
          oid === INT8_OID ? parseInt8 : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
      },
    });
    // An idle client that loses its server (restart, network) must not crash the process.
    pool.on('error', () => undefined);
    // A checked-out client whose server goes away between queries (restart, 57P01 then socket
    // close) emits 'error' with no pool listener attached: without this the process crashes.
    // The query in flight still rejects, so callers see the failure.
    pool.on('connect', (client) => {
      client.on('error', () => undefined);
      preparePrefixed(client);
    });
    const db = new Kysely<{}>({ dialect: new PostgresDialect({ pool }) });
    return { db, kind: 'postgres', close: () => db.destroy() };
  }
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const pglite = new PGlite(options.dataDir ?? 'memory://', { parsers: { [INT8_OID]: parseInt8 }, loadDataDir: options.pgliteDump });
  await pglite.waitReady;
  const db = new Kysely<{}>({ dialect: new PGliteDialect({ pglite }) });
  return { db, kind: 'pglite', close: () => db.destroy() };
}

const statementNames = new Map<string, string>();

/** Routes this client's PREPARED-marked texts (kysely calls `query(text, values)`) to named statements. */
function preparePrefixed(client: pg.PoolClient): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  (client as { query: unknown }).query = (...args: unknown[]) => {
    const [text, values] = args;
    if (typeof text !== 'string' || !text.startsWith(PREPARED) || !Array.isArray(values) || args.length > 2) return query(...args);
    let name = statementNames.get(text);
    if (!name) statementNames.set(text, (name = `cb_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`));
    return query({ name, text, values });
  };
}

/** True when the database answers a trivial query. */
export async function isReachable(db: AnyDb): Promise<boolean> {
  try {
    await sql`select 1`.execute(db);
    return true;
  } catch {
    return false;
  }
}
