/**
 * @module Numbered migrations, contributed by each room and run together at start.
 *
 * Names are `NNNN_room_what`; ranges per room keep them ordered without a shared file:
 * 0001–0099 core, 0100 fhir, 0200 auth/audit, 0300 hl7v2, 0400 mapping, 0500 careplans,
 * 0600 outbound, 0700 ops. On PostgreSQL (and PGlite) kysely runs the pending ones in one
 * transaction, so a failing migration leaves the database as it was.
 */
import { Migrator, type Migration as KyselyMigration } from 'kysely';
import type { AnyDb } from './database.js';

export interface Migration {
  readonly name: string;
  up(db: AnyDb): Promise<void>;
}

export interface MigrationReport {
  readonly applied: readonly string[];
}

export class MigrationFailedError extends Error {
  readonly migration: string | undefined;
  constructor(migration: string | undefined, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`migration ${migration ?? '(unknown)'} failed: ${reason}`, { cause });
    this.name = 'MigrationFailedError';
    this.migration = migration;
  }
}

export async function runMigrations(db: AnyDb, migrations: readonly Migration[]): Promise<MigrationReport> {
  const byName: Record<string, KyselyMigration> = {};
  for (const m of migrations) {
    if (byName[m.name]) throw new Error(`duplicate migration name ${m.name}`);
    byName[m.name] = { up: (trx) => m.up(trx as AnyDb) };
  }
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => byName },
    allowUnorderedMigrations: true,
    migrationTableName: 'cb_migration',
    migrationLockTableName: 'cb_migration_lock',
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new MigrationFailedError(failed?.migrationName, error);
  }
  return { applied: (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName) };
}

/** Names of migrations already applied (for /readyz). */
export async function pendingMigrations(db: AnyDb, migrations: readonly Migration[]): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => Object.fromEntries(migrations.map((m) => [m.name, { up: async () => {} }])) },
    allowUnorderedMigrations: true,
    migrationTableName: 'cb_migration',
    migrationLockTableName: 'cb_migration_lock',
  });
  const infos = await migrator.getMigrations();
  return infos.filter((i) => !i.executedAt).map((i) => i.name);
}
