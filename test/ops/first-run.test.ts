/**
 * The first run as the README tells it: start on an empty embedded database with no token
 * configured, take the credentials printed once, send the sample ADT over MLLP with
 * `carebridge send-sample`, read the Patient back, export it.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../src/cli/index.js';
import { spawnServer, type ServerProcess } from '../helpers/process.js';

describe('first run on the embedded database', () => {
  let dir: string;
  let server: ServerProcess;
  let apiKey: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cb-first-run-'));
    server = await spawnServer({ DATA_DIR: dir, DATABASE_URL: '', PORT: '0', HOST: '127.0.0.1', MLLP_PORT: '0', CAREBRIDGE_ADMIN_TOKEN: '' }, { readyTimeoutMs: 120_000 });
  }, 150_000);
  afterAll(async () => {
    server?.child.kill('SIGTERM');
    await server?.exited;
    vi.restoreAllMocks();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints the bootstrap admin credentials once, on stdout, not in the log', () => {
    const line = server.plainOutput.find((l) => l.includes('API key:'));
    expect(line).toBeDefined();
    apiKey = line!.split('API key:')[1]!.trim();
    expect(apiKey.length).toBeGreaterThanOrEqual(32);
    expect(JSON.stringify(server.logs)).not.toContain(apiKey);
  });

  it('send-sample gets an AA and reads back the Patient; export-patient writes its Bundle', async () => {
    let out = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((out += String(s)), true));
    vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((out += String(s)), true));
    const code = await runCli(['send-sample', '--port', String(server.mllpPort), '--http', server.httpUrl, '--token', apiKey]);
    expect(out, out).toContain('ACK (AA)');
    expect(code).toBe(0);
    const patient = JSON.parse(out.slice(out.indexOf('Patient created:') + 'Patient created:'.length)) as { resourceType: string; id: string; name: Array<{ family: string }> };
    expect(patient.resourceType).toBe('Patient');
    expect(patient.name[0]?.family).toBe('Sample');
    // The README's curl, done with fetch.
    const res = await fetch(`${server.httpUrl}/fhir/Patient/${patient.id}`, { headers: { authorization: `Bearer ${apiKey}` } });
    expect(res.status).toBe(200);
    const file = join(dir, 'export.json');
    expect(await runCli(['export-patient', patient.id, '--http', server.httpUrl, '--token', apiKey, '--out', file])).toBe(0);
    const bundle = JSON.parse(readFileSync(file, 'utf8')) as { type: string; entry: Array<{ resource: { resourceType: string } }> };
    expect(bundle.type).toBe('collection');
    expect(bundle.entry.map((e) => e.resource.resourceType)).toEqual(expect.arrayContaining(['Patient', 'Encounter']));
  });
});
