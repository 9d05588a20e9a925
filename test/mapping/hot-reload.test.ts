/**
 * Hot reload: a changed file is picked up; a broken change is refused with its error (status) and
 * the last good mapping set keeps serving.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Patient } from 'fhir/r4.js';
import { parseMessage } from '../../src/hl7v2/index.js';
import { createLogger } from '../../src/logging/index.js';
import { loadMappings, type MappingStatus } from '../../src/mapping/index.js';

const root = new URL('../../', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'cb-reload-'));
cpSync(`${root}mappings`, dir, { recursive: true });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const message = parseMessage(readFileSync(`${root}fixtures/hl7/adt-a01.hl7`));
const genderMap = join(dir, 'codemaps/v2-0001-administrative-gender.yaml');

function nextReload(registry: { onReload(fn: (s: MappingStatus) => void): void }): Promise<MappingStatus> {
  return new Promise((resolve) => registry.onReload(resolve));
}

describe('mapping registry hot reload', () => {
  it('takes a good change, refuses a broken one and keeps serving the last good set', async () => {
    const registry = await loadMappings(dir, createLogger({ level: 'silent' }), { watch: true, debounceMs: 30 });
    try {
      const patientOf = () => registry.current().mapMessage(message).bundle.entry!.find((e) => e.resource?.resourceType === 'Patient')!.resource as Patient;
      expect(patientOf().gender).toBe('female');
      const firstHash = registry.status().hash;

      // A good change: F now maps to 'other'.
      let reloaded = nextReload(registry);
      writeFileSync(genderMap, readFileSync(genderMap, 'utf8').replace('  F: female', '  F: other'));
      let status = await reloaded;
      expect(status.ok).toBe(true);
      expect(status.hash).not.toBe(firstHash);
      expect(patientOf().gender).toBe('other');
      const goodHash = status.hash;

      // A broken change: refused with file:line, the previous set keeps serving.
      reloaded = nextReload(registry);
      writeFileSync(genderMap, readFileSync(genderMap, 'utf8').replace('  F: other', '  F: [other'));
      status = await reloaded;
      expect(status.ok).toBe(false);
      expect(status.errors[0]).toMatchObject({ file: 'codemaps/v2-0001-administrative-gender.yaml', reason: expect.stringMatching(/YAML syntax/) });
      expect(status.hash).toBe(goodHash);
      expect(patientOf().gender).toBe('other');
    } finally {
      registry.close();
    }
  });
});

describe('mapping registry without a directory', () => {
  it('starts, reports the problem in status and refuses to map', async () => {
    const registry = await loadMappings(join(dir, 'does-not-exist'), createLogger({ level: 'silent' }), { watch: true });
    try {
      expect(registry.status()).toMatchObject({ ok: false, errors: [expect.objectContaining({ reason: expect.stringMatching(/ENOENT/) })] });
      expect(() => registry.current()).toThrow(/no mapping set loaded/);
    } finally {
      registry.close();
    }
  });
});
