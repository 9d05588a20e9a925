import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, testDatabaseKinds, type TestDatabase } from '../../test/helpers/db.js';
import { MigrationFailedError, runMigrations, type Migration } from './index.js';

const createThing: Migration = {
  name: '0001_core_thing',
  up: async (db) => {
    await sql`create table thing (id bigserial primary key, label text not null)`.execute(db);
  },
};

describe.each(testDatabaseKinds())('database on %s', (kind) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await openTestDatabase(kind, [createThing]);
  });
  afterAll(async () => t?.close());

  it('applies a migration once', async () => {
    const again = await runMigrations(t.db, [createThing]);
    expect(again.applied).toEqual([]);
  });

  it('returns int8 as numbers on both drivers', async () => {
    const { rows } = await sql<{ n: number }>`select 9007199254740991::int8 as n`.execute(t.db);
    expect(rows[0]?.n).toBe(9007199254740991);
  });

  it('leaves the database as it was when a migration fails', async () => {
    const good: Migration = { name: '0002_core_good', up: async (db) => void (await sql`create table good (id int)`.execute(db)) };
    const bad: Migration = { name: '0003_core_bad', up: async (db) => void (await sql`create table broken (id nosuchtype)`.execute(db)) };
    await expect(runMigrations(t.db, [createThing, good, bad])).rejects.toBeInstanceOf(MigrationFailedError);
    await expect(runMigrations(t.db, [createThing, good, bad])).rejects.toThrow(/0003_core_bad.*nosuchtype/);
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from information_schema.tables where table_name in ('good', 'broken')`.execute(t.db);
    expect(rows[0]?.n).toBe(0);
  });

  it('serialises concurrent transactions without losing writes', async () => {
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        t.db.transaction().execute(async (trx) => {
          await sql`insert into thing (label) values (${`t${i}`})`.execute(trx);
        }),
      ),
    );
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from thing`.execute(t.db);
    expect(rows[0]?.n).toBe(20);
  });

  it('rolls back a failed transaction', async () => {
    await expect(
      t.db.transaction().execute(async (trx) => {
        await sql`insert into thing (label) values ('rolled-back')`.execute(trx);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from thing where label = 'rolled-back'`.execute(t.db);
    expect(rows[0]?.n).toBe(0);
  });
});
