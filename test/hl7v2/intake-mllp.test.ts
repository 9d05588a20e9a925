import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MllpClient, searchMessages } from '../../src/hl7v2/index.js';
import { sql } from '../../src/db/index.js';
import { testDatabaseKinds } from '../helpers/db.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { adt, inboxRows, msa, waitFor } from './support.js';

describe.each(testDatabaseKinds())('HL7 v2 intake over MLLP on %s', (kind) => {
  let server: TestServer;
  let client: MllpClient;
  beforeAll(async () => {
    server = await startTestServer(kind, { HL7_RETRY_BACKOFF_MS: '50' });
    client = new MllpClient({ host: '127.0.0.1', port: server.mllpPort!, timeoutMs: 10_000 });
  });
  afterAll(async () => {
    await client?.close();
    await server?.stop();
  });
  const db = () => server.runtime.database.db;

  it('answers AA only for a committed row holding the bytes as received and the MSH facts', async () => {
    const message = adt('C-1', { mrn: 'MRN-7' });
    const res = await client.send(message);
    expect(res.code).toBe('AA');
    expect(msa(res.ack, 2)).toBe('C-1');
    const [row] = await inboxRows(db(), sql`control_id = 'C-1'`);
    expect(row).toBeDefined();
    expect(Buffer.from(row!.raw!).toString('utf8')).toBe(message);
    expect(row!.patient_key).toBe('NWH|MRN-7');
    expect(row!.ack_code).toBe('AA');
    const detail = await sql<{ sender: string; message_type: string; trigger_event: string; version: string; receiving_application: string; peer: string }>`select * from hl7_inbox where id = ${row!.id}`.execute(db());
    expect(detail.rows[0]).toMatchObject({ sender: 'HIS|NWH', message_type: 'ADT', trigger_event: 'A01', version: '2.5.1', receiving_application: 'CAREBRIDGE' });
    expect(detail.rows[0]!.peer).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it('then processes it in the background (the shipped ADT mapping writes it to the store)', async () => {
    const rows = await waitFor(async () => {
      const r = await inboxRows(db(), sql`control_id = 'C-1'`);
      return r[0]?.status !== 'received' && r;
    });
    expect(rows[0]!.status).toBe('processed');
  });

  it('answers a re-send with the original ACK, stores it once and counts the duplicate', async () => {
    const first = await client.send(adt('C-DUP'));
    const again = await client.send(adt('C-DUP'));
    expect(again.ack).toBe(first.ack);
    const rows = await inboxRows(db(), sql`control_id = 'C-DUP'`);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.duplicates).toBe(1);
    // The admin filter status=duplicate finds it (re-sends count on the original, not as rows).
    const listed = await searchMessages(db(), { status: 'duplicate' });
    expect(listed.map((m) => m.controlId)).toContain('C-DUP');
    expect(listed.every((m) => m.duplicates > 0)).toBe(true);
    expect(await searchMessages(db(), { status: 'duplicate', controlId: 'C-DUP-NEVER-RESENT' })).toEqual([]);
  });

  it('rejects a message with bad delimiters with AR + ERR, still storing it as failed', async () => {
    const res = await client.send('MSH|^~|HIS|NWH|CB|CB|20240101||ADT^A01|BAD-1|P|2.5.1\rPID|1||X\r');
    expect(res.code).toBe('AR');
    expect(res.ack).toMatch(/\rERR\|/);
    const rows = await inboxRows(db(), sql`control_id = 'BAD-1'`);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.status).toBe('failed');
    expect(rows[0]!.error_code).toBe('CB_ERR_HL7_PARSE');
  });

  it('in enhanced mode sends the commit ACK and, when asked, the application ACK after processing', async () => {
    const ca = await client.send(adt('ENH-1', { acceptAck: 'AL', appAck: 'NE' }));
    expect(ca.code).toBe('CA');
    // MSH-15 NE + MSH-16 AL: no commit ACK, one application ACK after processing.
    const app = await client.send(adt('ENH-2', { acceptAck: 'NE', appAck: 'AL' }));
    expect(app.code).toBe('AA');
    const rows = await inboxRows(db(), sql`control_id = 'ENH-2'`);
    expect(rows[0]!.status).toBe('processed');
  });

  it('keeps serving many concurrent connections', async () => {
    const clients = Array.from({ length: 20 }, () => new MllpClient({ host: '127.0.0.1', port: server.mllpPort!, timeoutMs: 20_000 }));
    const codes = await Promise.all(clients.map(async (c, i) => {
      const out: string[] = [];
      for (let k = 0; k < 10; k++) out.push((await c.send(adt(`CONC-${i}-${k}`, { mrn: `M${i}` }))).code);
      await c.close();
      return out;
    }));
    expect(codes.flat().every((c) => c === 'AA')).toBe(true);
    const n = await sql<{ n: number }>`select count(*)::int as n from hl7_inbox where control_id like 'CONC-%'`.execute(db());
    expect(n.rows[0]!.n).toBe(200);
  });
});
