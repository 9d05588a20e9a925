/** Searches every table of the public schema for text values (bytea decoded), for privacy checks. */
import { sql, type AnyDb } from '../../src/db/index.js';

export async function tablesContaining(db: AnyDb, needles: readonly string[]): Promise<string[]> {
  const tables = (await sql<{ t: string }>`select table_name as t from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`.execute(db)).rows.map((r) => r.t);
  const hits: string[] = [];
  for (const t of tables) {
    const byteaCols = (
      await sql<{ c: string }>`select column_name as c from information_schema.columns where table_schema = 'public' and table_name = ${t} and data_type = 'bytea'`.execute(db)
    ).rows.map((r) => r.c);
    const text = byteaCols.length
      ? sql.raw(`"${t}"::text || ${byteaCols.map((c) => `coalesce(encode("${c}", 'escape'), '')`).join(' || ')}`)
      : sql.raw(`"${t}"::text`);
    for (const n of needles) {
      const r = await sql<{ n: number }>`select count(*)::int as n from ${sql.raw(`"${t}"`)} where ${text} ilike ${`%${n}%`}`.execute(db);
      if (r.rows[0]!.n > 0) hits.push(`${t}: ${n}`);
    }
  }
  return hits;
}
