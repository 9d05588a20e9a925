/**
 * SIGTERM to a real server process while senders are mid-stream: it stops accepting, answers the
 * frames in flight, flushes the audit trail, closes the database and exits 0 — and every message
 * that got an AA is in the inbox afterwards.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MllpClient } from '../../src/hl7v2/index.js';
import { createPostgresDatabase, testDatabaseKinds } from '../helpers/db.js';
import { spawnServer, type ServerProcess } from '../helpers/process.js';

const ADMIN = 'graceful-admin-token-0123456789';

function adt(controlId: string, mrn: string): string {
  return [
    `MSH|^~\\&|SHUTDOWN|GENHOSP|CAREBRIDGE|CB|20261101083000||ADT^A08^ADT_A01|${controlId}|P|2.5.1`,
    'EVN|A08|20261101083000',
    `PID|1||${mrn}^^^GENHOSP^MR||Term^Sig||19800101|F`,
  ].join('\r');
}

async function databaseEnv(kind: string): Promise<{ env: Record<string, string>; cleanup: () => Promise<void> }> {
  if (kind === 'postgres') {
    const { url, drop } = await createPostgresDatabase();
    return { env: { DATABASE_URL: url }, cleanup: drop };
  }
  const dir = mkdtempSync(join(tmpdir(), 'cb-shutdown-'));
  return { env: { DATA_DIR: dir }, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
}

describe.each(testDatabaseKinds())('graceful shutdown on %s', { timeout: 300_000 }, (kind) => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('answers every frame in flight, keeps every AA, flushes audit and exits 0 on SIGTERM', async () => {
    const db = await databaseEnv(kind);
    cleanups.push(db.cleanup);
    const env = { ...db.env, PORT: '0', HOST: '127.0.0.1', MLLP_PORT: '0', CAREBRIDGE_ADMIN_TOKEN: ADMIN };
    const server: ServerProcess = await spawnServer(env, { readyTimeoutMs: 120_000 });
    cleanups.push(async () => {
      server.child.kill('SIGKILL');
      await server.exited;
    });

    // An audited read before the signal: its AuditEvent must survive the shutdown.
    expect((await fetch(`${server.httpUrl}/fhir/Patient?identifier=none`, { headers: { authorization: `Bearer ${ADMIN}` } })).status).toBe(200);

    const acked: string[] = [];
    let sent = 0;
    let signalled = false;
    const sender = async (connection: number) => {
      const client = new MllpClient({ host: '127.0.0.1', port: server.mllpPort!, timeoutMs: 10_000, connectTimeoutMs: 2_000 });
      try {
        for (let i = 0; i < 200; i++) {
          const controlId = `SD-${connection}-${i}`;
          sent++;
          const res = await client.send(adt(controlId, `SD${connection}`));
          if (res.code === 'AA' || res.code === 'CA') acked.push(controlId);
          if (!signalled && acked.length >= 40) {
            signalled = true;
            server.child.kill('SIGTERM');
          }
        }
      } catch {
        // The listener closed: what was not ACKed would be re-sent by a real sender.
      } finally {
        await client.close().catch(() => undefined);
      }
    };
    await Promise.all([0, 1, 2, 3].map(sender));
    expect(signalled).toBe(true);
    expect(await server.exited).toBe(0);
    expect(server.logs.some((l) => l.msg === 'stopped')).toBe(true);
    expect(acked.length).toBeGreaterThanOrEqual(40);
    expect(acked.length).toBeLessThan(sent); // the stream really was cut mid-way

    // Restart on the same database and count what is there.
    const again = await spawnServer(env, { readyTimeoutMs: 120_000 });
    cleanups.push(async () => {
      again.child.kill('SIGKILL');
      await again.exited;
    });
    const auth = { headers: { authorization: `Bearer ${ADMIN}` } };
    const res = await fetch(`${again.httpUrl}/admin/api/messages?sender=SHUTDOWN&limit=1000`, auth);
    const { items } = (await res.json()) as { items: Array<{ controlId: string }> };
    const stored = new Set(items.map((m) => m.controlId));
    expect(acked.filter((c) => !stored.has(c))).toEqual([]);
    const audit = await fetch(`${again.httpUrl}/fhir/AuditEvent?_count=200`, auth);
    const bundle = (await audit.json()) as { entry?: Array<{ resource: { entity?: Array<{ query?: string; what?: { reference?: string } }> } }> };
    expect(bundle.entry?.length ?? 0).toBeGreaterThan(0);
    again.child.kill('SIGTERM');
    expect(await again.exited).toBe(0);
  });
});
