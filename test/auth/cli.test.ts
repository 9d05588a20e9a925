import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClientRepository } from '../../src/auth/index.js';
import { runCli } from '../../src/cli/index.js';
import { openDatabase } from '../../src/db/index.js';

/** Runs the real CLI dispatcher in this process (a subprocess per command costs ~7 s here), capturing its output. */
async function runCapture(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  const saved = { ...process.env };
  const out: string[] = [];
  const err: string[] = [];
  const writeOut = process.stdout.write.bind(process.stdout);
  const writeErr = process.stderr.write.bind(process.stderr);
  Object.assign(process.env, env);
  process.stdout.write = ((s: string) => out.push(String(s)) > 0) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => err.push(String(s)) > 0) as typeof process.stderr.write;
  try {
    const code = await runCli(args);
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    process.stdout.write = writeOut;
    process.stderr.write = writeErr;
    for (const k of Object.keys(env)) delete process.env[k];
    Object.assign(process.env, saved);
  }
}

describe('carebridge clients CLI (PGlite data folder)', () => {
  let dir: string;
  const cli = (...args: string[]) => runCapture(args, { DATABASE_URL: '', DATA_DIR: dir, LOG_LEVEL: 'warn' });
  let apiClient: { clientId: string; apiKey: string };
  let rotatedKey: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cb-cli-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('creates an API-key client and prints {"clientId","apiKey"} as JSON', async () => {
    const r = await cli('clients', 'create', '--scopes', 'system/Patient.read system/Observation.rs', '--api-key', '--json');
    expect(r.code, r.stderr).toBe(0);
    apiClient = JSON.parse(r.stdout) as { clientId: string; apiKey: string };
    expect(Object.keys(apiClient).sort()).toEqual(['apiKey', 'clientId']);
    expect(apiClient.apiKey).toMatch(/^cbk_/);
  });

  it('creates a SMART client from a JWKS file, refuses bad scopes and private keys', async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS384', { extractable: true });
    await writeFile(join(dir, 'jwks.json'), JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1' }] }));
    await writeFile(join(dir, 'private.json'), JSON.stringify({ keys: [await exportJWK(privateKey)] }));
    const ok = await cli('clients', 'create', '--scopes', 'system/*.rs', '--jwks-file', join(dir, 'jwks.json'), '--json');
    expect(ok.code, ok.stderr).toBe(0);
    expect(Object.keys(JSON.parse(ok.stdout) as object)).toEqual(['clientId']);
    const bad = await cli('clients', 'create', '--scopes', 'patient/*.read bogus', '--api-key');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('bogus');
    const priv = await cli('clients', 'create', '--scopes', 'system/*.rs', '--jwks-file', join(dir, 'private.json'));
    expect(priv.code).toBe(1);
    expect(priv.stderr).toContain('private key');
  });

  it('rotates and revokes; list shows the state', async () => {
    const rot = await cli('clients', 'rotate', apiClient.clientId, '--json');
    expect(rot.code, rot.stderr).toBe(0);
    rotatedKey = (JSON.parse(rot.stdout) as { apiKey: string }).apiKey;
    expect(rotatedKey).not.toBe(apiClient.apiKey);
    const list = await cli('clients', 'list', '--json');
    const clients = JSON.parse(list.stdout) as Array<{ clientId: string; kind: string; revoked: boolean }>;
    expect(clients.map((c) => c.kind).sort()).toEqual(['api-key', 'smart']);
    expect(list.stdout).not.toContain('cbk_');
    const rev = await cli('clients', 'revoke', apiClient.clientId);
    expect(rev.code, rev.stderr).toBe(0);
  });

  it('left the database in the state the commands claimed', async () => {
    const db = await openDatabase({ dataDir: dir });
    try {
      const repo = createClientRepository(db.db);
      expect(await repo.findByApiKey(apiClient.apiKey)).toBeUndefined();
      expect(await repo.findByApiKey(rotatedKey)).toBeUndefined(); // revoked
      expect((await repo.get(apiClient.clientId))?.revoked).toBe(true);
    } finally {
      await db.close();
    }
  });
});
