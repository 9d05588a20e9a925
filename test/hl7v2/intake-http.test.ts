import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKinds } from '../helpers/db.js';
import { startTestServer, TEST_ADMIN_TOKEN, type TestServer } from '../helpers/server.js';
import { adt, msa, waitFor } from './support.js';

const auth = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };

describe.each(testDatabaseKinds())('POST /hl7v2 and the admin messages API on %s', (kind) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(kind, { MLLP_PORT: '-1' });
  });
  afterAll(() => server?.stop());

  const post = (body: string, type = 'x-application/hl7-v2+er7') =>
    fetch(`${server.httpUrl}/hl7v2`, { method: 'POST', headers: { ...auth, 'content-type': type }, body });
  const api = async (path: string, init: RequestInit = {}) => {
    const res = await fetch(`${server.httpUrl}${path}`, { ...init, headers: { ...auth, 'content-type': 'application/json', ...(init.headers ?? {}) } });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('leaves MLLP off with MLLP_PORT=-1', () => {
    expect(server.mllpPort).toBeUndefined();
  });

  it('answers a message with its ACK as the body (both content types)', async () => {
    const res = await post(adt('H-1'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/hl7-v2/);
    const ack = await res.text();
    expect(msa(ack, 1)).toBe('AA');
    expect(msa(ack, 2)).toBe('H-1');
    expect(msa(await (await post(adt('H-2'), 'text/plain')).text(), 1)).toBe('AA');
  });

  it('answers a batch with one ACK per message inside a batch envelope, and AR + ERR for a bad one', async () => {
    const batch = `FHS|^~\\&|HIS\rBHS|^~\\&|HIS\rgarbage line\r${adt('B-1', { mrn: 'BM' })}${adt('B-2', { mrn: 'BM', event: 'A08' })}BTS|3\rFTS|1\r`;
    const text = await (await post(batch)).text();
    expect(text.startsWith('BHS|')).toBe(true);
    const msas = text.split('\r').filter((s) => s.startsWith('MSA'));
    expect(msas.map((m) => m.split('|')[1])).toEqual(['AR', 'AA', 'AA']);
    expect(text).toMatch(/\rERR\|/);
    expect(text.trimEnd().endsWith('BTS|3')).toBe(true);
  });

  it('lists messages with the exact item shape and filters', async () => {
    const { status, body } = await api('/admin/api/messages?controlId=B-1');
    expect(status).toBe(200);
    const items = body.items as Array<Record<string, unknown>>;
    expect(items).toHaveLength(1);
    expect(Object.keys(items[0]!).sort()).toEqual(['ackCode', 'controlId', 'duplicates', 'error', 'id', 'receivedAt', 'sender', 'status', 'type'].sort());
    expect(items[0]).toMatchObject({ controlId: 'B-1', sender: 'HIS|NWH', type: 'ADT^A01', duplicates: 0, ackCode: 'AA', error: null });
    const byPatient = (await api('/admin/api/messages?patient=BM')).body.items as unknown[];
    expect(byPatient).toHaveLength(2);
    const failed = (await api('/admin/api/messages?status=failed')).body.items as Array<{ error: string }>;
    expect(failed.length).toBeGreaterThanOrEqual(1);
    expect(failed[0]!.error).toBeTruthy();
    expect((await api('/admin/api/messages?type=ADT^A08&sender=HIS')).body.items).toHaveLength(1);
    expect((await api('/admin/api/messages?status=nope')).status).toBe(400);
  });

  it('shows one message masked unless revealed, and replays it', async () => {
    const [item] = (await api('/admin/api/messages?controlId=B-1')).body.items as Array<{ id: string }>;
    const masked = (await api(`/admin/api/messages/${item!.id}`)).body;
    expect(masked.masked).toBe(true);
    expect(String(masked.raw)).not.toContain('Doe');
    expect(String(masked.raw)).toContain('MSH|^~\\&|HIS');
    expect(String(masked.ack)).toContain('MSA|AA|B-1');
    const revealed = (await api(`/admin/api/messages/${item!.id}?reveal=true`)).body;
    expect(String(revealed.raw)).toContain('Doe^Jane');
    // The server's own processor (the shipped ADT mapping) handles it.
    await waitFor(async () => (await api(`/admin/api/messages/${item!.id}`)).body.status === 'processed');
    const replay = await api(`/admin/api/messages/${item!.id}/replay`, { method: 'POST', body: '{}' });
    expect(replay).toMatchObject({ status: 200, body: { id: item!.id, status: 'received' } });
    await waitFor(async () => (await api(`/admin/api/messages/${item!.id}`)).body.status === 'processed');
    const many = await api('/admin/api/messages/replay', { method: 'POST', body: JSON.stringify({ filter: { patient: 'BM' } }) });
    expect(many.body.replayed).toBe(2);
    expect((await api('/admin/api/messages/999999')).status).toBe(404);
  });

  it('serves the flow summary for the dashboard', async () => {
    const { body } = await api('/admin/api/flow?minutes=60');
    expect(body.total).toBeGreaterThanOrEqual(5);
    expect((body.ackCodes as Record<string, number>).AA).toBeGreaterThanOrEqual(4);
  });

  it('requires the admin scope on the admin API', async () => {
    const res = await fetch(`${server.httpUrl}/admin/api/messages`);
    expect(res.status).toBe(401);
  });
});
