/** `carebridge map` and `carebridge mappings check|test` through the mapping room's commands. */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { Bundle } from 'fhir/r4.js';
import { createMappingCommands } from '../../src/mapping/index.js';

const root = new URL('../../', import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'cb-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const commands = createMappingCommands({
  withDatabase: () => Promise.reject(new Error('no database in this test')),
});
const command = (name: string) => commands.find((c) => c.name === name)!;

async function capture(fn: () => Promise<number>): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  try {
    const code = await fn();
    return { code, out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

describe('mapping CLI', () => {
  it('map writes the bundle to --out and explains each element on stderr', async () => {
    const outFile = join(tmp, 'bundle.json');
    const r = await capture(() => command('map').run([`${root}fixtures/hl7/adt-a03.hl7`, '--dir', `${root}mappings`, '--out', outFile, '--explain']));
    expect(r.code).toBe(0);
    const bundle = JSON.parse(readFileSync(outFile, 'utf8')) as Bundle;
    expect(bundle.type).toBe('transaction');
    expect(bundle.entry?.some((e) => e.resource?.resourceType === 'Procedure')).toBe(true);
    expect(r.err).toMatch(/Encounter\.period\.end {2}← {2}PV1-45 \| EVN-6 \| EVN-2 {2}\[segments\/pv1-encounter\.yaml:\d+\]/);
  });

  it('mappings test passes on the shipped maps; mappings check fails with file:line on a broken copy', async () => {
    const ok = await capture(() => command('mappings').run(['test', '--dir', `${root}mappings`]));
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/(\d+)\/\1 mapping tests passed/);
    const dir = join(tmp, 'broken');
    cpSync(`${root}mappings`, dir, { recursive: true });
    const f = join(dir, 'segments/pid-patient.yaml');
    writeFileSync(f, readFileSync(f, 'utf8').replace('to: gender', 'to: sex'));
    const bad = await capture(() => command('mappings').run(['check', '--dir', dir]));
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/^segments\/pid-patient\.yaml:\d+: to: 'sex': Patient: no element 'sex' in Patient$/m);
  });
});
