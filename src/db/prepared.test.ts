import { CompiledQuery, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, testDatabaseKinds, type TestDatabase } from '../../test/helpers/db.js';
import { PREPARED } from './index.js';

describe.each(testDatabaseKinds())('PREPARED statements on %s', (kind) => {
  let t: TestDatabase;
  beforeAll(async () => {
    // One pooled connection, so the statements below share a session and its prepared statements.
    t = await openTestDatabase(kind, [], { poolSize: 1 });
    await sql`create table prep_thing (id int primary key, label text)`.execute(t.db);
    await sql`insert into prep_thing values (1, 'one'), (2, 'two')`.execute(t.db);
  });
  afterAll(async () => t?.close());

  const text = 'select label from prep_thing where id = $1';
  const run = async (q: string, id: number) => (await t.db.executeQuery<{ label: string }>(CompiledQuery.raw(q, [id]))).rows;

  it('answers a marked text as the unmarked one does, every time', async () => {
    for (const id of [1, 2, 1, 3, 2, 1, 2]) expect(await run(`${PREPARED}${text}`, id)).toEqual(await run(text, id));
  });

  it.skipIf(kind !== 'postgres')('prepares a marked text once per connection, and an unmarked one never', async () => {
    const prepared = async () =>
      (await sql<{ statement: string }>`select statement from pg_prepared_statements`.execute(t.db)).rows.map((r) => r.statement);
    await run(`${PREPARED}${text}`, 1);
    await run(text, 1);
    const statements = await prepared();
    expect(statements.filter((s) => s.includes('prep_thing'))).toEqual([`${PREPARED}${text}`]);
  });
});
