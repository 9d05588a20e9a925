/**
 * @module CLI for mapping authors: `carebridge map <file.hl7>` (the bundle a message becomes,
 * nothing written) and `carebridge mappings test|check|unmapped|replay-diff`.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseBatch } from '../hl7v2/index.js';
import type { AnyDb } from '../db/index.js';
import { formatUnmapped } from './compile/unmapped.js';
import type { MappableMessage } from './hl7-shape.js';
import { replayDiff, unmappedReport } from './inbox-tools.js';
import { loadMappingDir } from './loader.js';
import { createMappingSet, type MappingSet } from './mapping-set.js';
import { runMappingTests } from './mapping-tests.js';

export interface MappingCliCommand { readonly name: string; readonly summary: string; run(args: readonly string[]): Promise<number> }

/** How inbox commands reach the configured database (the CLI supplies it; no import of the server). */
export interface MappingCliDeps { withDatabase<T>(fn: (db: AnyDb) => Promise<T>): Promise<T> }

const out = (s: string) => process.stdout.write(s.endsWith('\n') ? s : `${s}\n`);
const err = (s: string) => process.stderr.write(s.endsWith('\n') ? s : `${s}\n`);

async function loadSet(dir: string): Promise<MappingSet | undefined> {
  const loaded = await loadMappingDir(resolve(dir));
  if (loaded.ok) return createMappingSet(loaded.mappings);
  for (const e of loaded.errors) err(`${e.file}:${e.line}: ${e.reason}`);
  return undefined;
}

const defaultDir = () => process.env.MAPPINGS_DIR || './mappings';

export const mapCommand: MappingCliCommand = {
  name: 'map',
  summary: 'map an HL7 v2 file and print the FHIR transaction Bundle (nothing is written)',
  async run(args) {
    const { values, positionals } = parseArgs({
      args: [...args], allowPositionals: true,
      options: { mapping: { type: 'string' }, out: { type: 'string' }, explain: { type: 'boolean' }, unmapped: { type: 'boolean' }, dir: { type: 'string' }, help: { type: 'boolean' } },
    });
    if (values.help || positionals.length !== 1) {
      out('Usage: carebridge map <file.hl7> [--mapping <id>] [--out bundle.json] [--explain] [--unmapped] [--dir mappings/]');
      return values.help ? 0 : 2;
    }
    const set = await loadSet(values.dir ?? defaultDir());
    if (!set) return 1;
    const { messages, errors } = parseBatch(await readFile(positionals[0]!));
    for (const e of errors) err(`rejected: ${e.code}: ${e.message}`);
    const bundles = [];
    for (const m of messages) {
      const result = set.mapMessage(m as unknown as MappableMessage, { explain: values.explain, mapping: values.mapping });
      bundles.push(result.bundle);
      if (values.explain) for (const x of result.explain ?? []) err(`${x.resource}.${x.path}  ←  ${x.from ?? '(constant)'}  [${x.rule}]`);
      if (values.unmapped || values.explain) err(`unmapped (${result.mappingId}): ${result.unmapped.map(formatUnmapped).join(' ') || 'nothing'}`);
      for (const mg of result.merges) err(`merge: ${mg.resourceType}?${mg.fromQuery} → replaced-by ${mg.resourceType}?${mg.intoQuery}`);
    }
    const json = JSON.stringify(bundles.length === 1 ? bundles[0] : bundles, null, 2);
    if (values.out) await writeFile(values.out, `${json}\n`);
    else out(json);
    return errors.length && !messages.length ? 1 : 0;
  },
};

const mappingsCommand = (deps: MappingCliDeps): MappingCliCommand => ({
  name: 'mappings',
  summary: 'mapping tools: test | check | unmapped | replay-diff (run with --help)',
  async run(args) {
    const [sub, ...rest] = args;
    const { values } = parseArgs({
      args: rest, allowPositionals: false,
      options: { dir: { type: 'string' }, candidate: { type: 'string' }, sender: { type: 'string' }, type: { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' } },
    });
    const dir = values.dir ?? defaultDir();
    switch (sub) {
      case 'check': {
        const set = await loadSet(dir);
        if (set) out(`ok: ${set.messageMaps.length} message maps, hash ${set.hash}`);
        return set ? 0 : 1;
      }
      case 'test': {
        const set = await loadSet(dir);
        if (!set) return 1;
        const results = await runMappingTests(set, resolve(dir));
        for (const r of results) out(`${r.ok ? 'ok  ' : 'FAIL'} ${r.file}${r.failures.map((f) => `\n     ${f}`).join('')}`);
        const failed = results.filter((r) => !r.ok).length;
        out(`${results.length - failed}/${results.length} mapping tests passed`);
        return failed ? 1 : 0;
      }
      case 'unmapped':
      case 'replay-diff':
        return inboxCommand(deps, sub, dir, values);
      default:
        out([
          'Usage: carebridge mappings <command> [--dir mappings/]',
          '  check                       load and check every mapping file (file:line: reason on error)',
          '  test                        run mappings/tests/*.yaml',
          '  unmapped [--sender S] [--type ADT^A01] [--limit N]   populated fields no rule reads, per sender, over the inbox',
          '  replay-diff --candidate <dir> [--sender S] [--type T] [--limit N]   stored messages through a changed mapping dir, diffed',
        ].join('\n'));
        return sub === undefined || sub === '--help' ? 0 : 2;
    }
  },
});

async function inboxCommand(deps: MappingCliDeps, sub: 'unmapped' | 'replay-diff', dir: string, v: { candidate?: string; sender?: string; type?: string; limit?: string; json?: boolean }): Promise<number> {
  const current = await loadSet(dir);
  if (!current) return 1;
  const candidate = sub === 'replay-diff' ? (v.candidate ? await loadSet(v.candidate) : undefined) : undefined;
  if (sub === 'replay-diff' && !candidate) {
    if (!v.candidate) err('replay-diff needs --candidate <mapping dir>');
    return 1;
  }
  return deps.withDatabase(async (db) => {
    const sel = { sender: v.sender, type: v.type, limit: v.limit ? Number(v.limit) : undefined };
    if (sub === 'unmapped') {
      const report = await unmappedReport(db, current, sel);
      if (v.json) out(JSON.stringify(report, null, 2));
      else {
        out(`${report.messages} mapped messages read (${report.failed} failed to map)`);
        for (const [sender, items] of Object.entries(report.bySender)) {
          out(`${sender}:`);
          for (const [item, n] of Object.entries(items).sort((a, b) => b[1] - a[1])) out(`  ${item.padEnd(12)} ${n}`);
        }
      }
      return 0;
    }
    const diffs = await replayDiff(db, current, candidate!, sel);
    if (v.json) out(JSON.stringify(diffs, null, 2));
    else {
      const changed = diffs.filter((d) => d.changes.length || d.error);
      out(`${diffs.length} messages replayed, ${changed.length} would map differently`);
      for (const d of changed) {
        out(`#${d.id} ${d.type} ${d.controlId}${d.error ? `  error: ${d.error}` : ''}`);
        for (const c of d.changes) out(`  ${c.request}  ${c.path}: ${JSON.stringify(c.before)} → ${JSON.stringify(c.after)}`);
      }
    }
    return 0;
  });
}

export function createMappingCommands(deps: MappingCliDeps): MappingCliCommand[] {
  return [mapCommand, mappingsCommand(deps)];
}
