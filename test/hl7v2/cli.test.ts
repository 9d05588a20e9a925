/**
 * `carebridge import` and `carebridge replay` through the real CLI dispatcher, on an embedded
 * database in a temporary folder.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../src/cli/index.js';

const fixtures = new URL('../../fixtures/hl7/', import.meta.url).pathname;

describe('intake CLI', () => {
  let dir: string;
  let out = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'cb-cli-'));
    vi.stubEnv('DATA_DIR', dir);
    vi.stubEnv('DATABASE_URL', '');
    vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((out += String(s)), true));
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  });
  afterAll(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
    rmSync(dir, { recursive: true, force: true });
  });

  it('imports a file as if received, and counts a second import as duplicates', async () => {
    out = '';
    expect(await runCli(['import', join(fixtures, 'adt-a01.hl7')])).toBe(0);
    expect(out).toMatch(/1 message\(s\) from 1 file\(s\): AA 1/);
    out = '';
    expect(await runCli(['import', join(fixtures, 'adt-a01.hl7')])).toBe(0);
    expect(out).toMatch(/\(1 duplicate\(s\)\)/);
  });

  it('replays by filter, and says what it would do with --dry-run', async () => {
    out = '';
    expect(await runCli(['replay', '--sender', 'HIS', '--dry-run'])).toBe(0);
    expect(out).toContain('1 message(s) would be replayed');
    out = '';
    expect(await runCli(['replay', '--sender', 'NOBODY'])).toBe(0);
    expect(out).toContain('0 message(s) queued');
  });

  it('refuses a replay without ids or a filter', async () => {
    expect(await runCli(['replay'])).toBe(2);
  });
});
