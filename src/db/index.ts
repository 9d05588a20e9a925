/** @module db — the database handle (pg or PGlite) and the migration runner. */
export { openDatabase, isReachable, PREPARED, type AnyDb, type Database, type DatabaseKind, type DatabaseOptions } from './database.js';
export { runMigrations, pendingMigrations, MigrationFailedError, type Migration, type MigrationReport } from './migrations.js';
export { sql } from 'kysely';
