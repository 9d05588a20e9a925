/** @module String normalisation shared by indexing and querying, so both sides compare alike. */

/** Longest indexed string: keeps btree entries far below PostgreSQL's ~2.7 kB limit. */
export const MAX_INDEXED_LENGTH = 512;

/** Lower-case, accents folded (`Müller` → `muller`), whitespace collapsed. */
export function normalizeString(value: string): string {
  return value
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, MAX_INDEXED_LENGTH);
}

/** Escapes LIKE wildcards in user input (the pattern itself is still a bound parameter). */
export function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}
