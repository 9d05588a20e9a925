/**
 * Writes what every corpus message maps to (bundle, merges, unmapped report, explain) as one JSON
 * file per message, so a change to the mapping engine can be checked to change nothing:
 *
 *   cp -r mappings /tmp/maps-frozen
 *   git worktree add /tmp/map-base HEAD && ln -s "$PWD/node_modules" /tmp/map-base/
 *   (cd /tmp/map-base && npx tsx scripts/map-snapshot.ts /tmp/map-before --mappings /tmp/maps-frozen)
 *   npx tsx scripts/map-snapshot.ts /tmp/map-after --mappings /tmp/maps-frozen
 *   diff -r /tmp/map-before /tmp/map-after
 *
 * Both runs read the same frozen copy of the mapping directory, so edits to the maps made
 * meanwhile do not show up as engine differences. The output holds no clock value: the same
 * input gives the same files.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { parseBatch } from '../src/hl7v2/index.js';
import { createMappingSet, loadMappingDir, type MappableMessage } from '../src/mapping/index.js';

const root = new URL('../', import.meta.url).pathname;
const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args.splice(i, 2)[1] : undefined;
};
const mappingsDir = flag('--mappings') ?? `${root}mappings`;
const corpus = flag('--corpus') ?? `${root}../shared/corpus/hl7v2`;
const out = args[0];
if (!out) {
  process.stderr.write('usage: tsx scripts/map-snapshot.ts <out-dir> [--mappings dir] [--corpus dir]\n');
  process.exit(2);
}
if (!existsSync(corpus)) {
  process.stderr.write(`corpus not found at ${corpus}\n`);
  process.exit(2);
}
const loaded = await loadMappingDir(mappingsDir);
if (!loaded.ok) throw new Error(loaded.errors.map((e) => `${e.file}:${e.line}: ${e.reason}`).join('\n'));
const set = createMappingSet(loaded.mappings);
mkdirSync(out, { recursive: true });
let n = 0;
for (const f of readdirSync(corpus).sort()) {
  const { messages } = parseBatch(readFileSync(`${corpus}/${f}`));
  messages.forEach((m, i) => {
    let snapshot: unknown;
    try {
      const r = set.mapMessage(m as unknown as MappableMessage);
      const explained = set.mapMessage(m as unknown as MappableMessage, { explain: true });
      snapshot = { bundle: r.bundle, mappingId: r.mappingId, merges: r.merges, unmapped: r.unmapped, explain: explained.explain };
    } catch (e) {
      snapshot = { error: (e as Error).message };
    }
    writeFileSync(`${out}/${f}.${i}.json`, `${JSON.stringify(snapshot, null, 1)}\n`);
    n++;
  });
}
process.stdout.write(`${n} messages → ${out}\n`);
