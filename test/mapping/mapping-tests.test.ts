/** Every mapping test in mappings/tests/ (the same files `carebridge mappings test` runs). */
import { readdirSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createMappingSet, loadMappingDir, runMappingTests, type MappingSet } from '../../src/mapping/index.js';

const mappingsDir = new URL('../../mappings', import.meta.url).pathname;
const files = readdirSync(`${mappingsDir}/tests`).filter((f) => f.endsWith('.yaml')).sort();

describe('shipped mapping tests', () => {
  let results: Awaited<ReturnType<typeof runMappingTests>>;
  beforeAll(async () => {
    const loaded = await loadMappingDir(mappingsDir);
    if (!loaded.ok) throw new Error(loaded.errors.map((e) => `${e.file}:${e.line}: ${e.reason}`).join('\n'));
    const set: MappingSet = createMappingSet(loaded.mappings);
    results = await runMappingTests(set, mappingsDir);
  });
  it('finds every test file', () => {
    expect(results.map((r) => r.file)).toEqual(files.map((f) => `tests/${f}`));
  });
  it.each(files)('%s', (f) => {
    const r = results.find((x) => x.file === `tests/${f}`)!;
    expect(r.failures).toEqual([]);
  });
});
