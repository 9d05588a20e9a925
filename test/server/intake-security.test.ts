/**
 * The security issue's intake rules through the whole server (config → listeners → inbox):
 * MLLP over TLS and mutual TLS, HTTPS with a client certificate for POST /hl7v2, and the sender
 * allowlist (peer CIDR + MSH-3/MSH-4) on both transports. Peers come from distinct loopback source
 * addresses (127.0.0.x), so the CIDR rules are exercised for real.
 */
import { request as httpsRequest } from 'node:https';
import { request as httpRequest } from 'node:http';
import { connect as netConnect } from 'node:net';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, Message, type InboundResponse } from 'node-hl7-client';
import { MllpClient, encodeFrame } from '../../src/hl7v2/index.js';
import { sql } from '../../src/db/index.js';
import { createTestPki, type TestPki } from '../helpers/certs.js';
import { testDatabaseKinds } from '../helpers/db.js';
import { startTestServer, TEST_ADMIN_TOKEN, type TestServer } from '../helpers/server.js';
import { adt, inboxRows, msa } from '../hl7v2/support.js';

interface HttpAnswer {
  readonly status: number;
  readonly body: string;
}

interface PostOptions {
  readonly localAddress?: string;
  readonly tls?: { readonly ca: Buffer; readonly cert?: Buffer; readonly key?: Buffer };
}

function post(url: string, body: string, o: PostOptions = {}): Promise<HttpAnswer> {
  const target = new URL(url);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      {
        host: target.hostname, port: target.port, path: target.pathname, method: body ? 'POST' : 'GET',
        // POST /hl7v2 needs a token with the carebridge/hl7v2 scope as well as any certificate.
        headers: body ? { 'content-type': 'x-application/hl7-v2+er7', authorization: `Bearer ${TEST_ADMIN_TOKEN}` } : {},
        ...(o.localAddress ? { localAddress: o.localAddress } : {}),
        ...(o.tls ?? {}),
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(body || undefined);
  });
}

/** One MLLP frame over plain TCP from a chosen source address; resolves with the answer or null when the server closes first. */
function mllpFrom(port: number, localAddress: string, message: string): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: '127.0.0.1', port, localAddress });
    let answer = '';
    socket.on('connect', () => socket.write(encodeFrame(message)));
    socket.on('data', (b: Buffer) => {
      answer += b.toString('utf8');
      if (answer.includes('\x1c\r')) {
        socket.destroy();
        resolve(answer.slice(answer.indexOf('\x0b') + 1, answer.indexOf('\x1c')));
      }
    });
    socket.on('close', () => resolve(null));
    socket.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' ? resolve(null) : reject(err)));
  });
}

const logged = (server: TestServer, msg: string) => server.logs.filter((l) => l.msg === msg);

describe('MLLP and HTTPS with (mutual) TLS through the whole server', () => {
  let pki: TestPki;
  let server: TestServer;
  beforeAll(async () => {
    pki = createTestPki();
    server = await startTestServer('pglite', {
      MLLP_TLS_CERT: pki.serverCert, MLLP_TLS_KEY: pki.serverKey, MLLP_TLS_CA: pki.caCert,
      HTTP_TLS_CERT: pki.serverCert, HTTP_TLS_KEY: pki.serverKey, HTTP_TLS_CA: pki.caCert,
    });
  });
  afterAll(() => server?.stop());
  const tlsFor = (who: 'client' | 'rogue' | 'none') => ({
    ca: readFileSync(pki.caCert),
    ...(who === 'none' ? {} : { cert: readFileSync(who === 'client' ? pki.clientCert : pki.rogueCert), key: readFileSync(who === 'client' ? pki.clientKey : pki.rogueKey) }),
  });

  it('serves HTTPS at the URL it reports', () => {
    expect(server.httpUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  });

  it('node-hl7-client with a certificate the CA signed gets AA over MLLP/TLS, and the row is stored', async () => {
    const client = new Client({ host: '127.0.0.1', tls: { ...tlsFor('client'), servername: 'localhost' } });
    let pending: ((r: InboundResponse) => void) | undefined;
    const connection = client.createConnection({ port: server.mllpPort!, waitAck: true }, async (res) => pending?.(res));
    try {
      const got = new Promise<InboundResponse>((resolve) => (pending = resolve));
      await connection.sendMessage(new Message({ text: adt('TLS-1', { mrn: 'TLS1' }) }));
      const ack = (await got).getMessage();
      expect([ack.get('MSA.1').toString(), ack.get('MSA.2').toString()]).toEqual(['AA', 'TLS-1']);
    } finally {
      await connection.close();
    }
    expect(await inboxRows(server.runtime.database.db, sql`control_id = 'TLS-1'`)).toHaveLength(1);
  });

  it.each([
    ['no client certificate', 'none'],
    ['a self-signed certificate the CA did not sign', 'rogue'],
  ] as const)('refuses an MLLP/TLS client with %s: no ACK, nothing stored, a log line', async (_label, who) => {
    const before = logged(server, 'mllp TLS handshake refused').length;
    const paths = who === 'none' ? {} : { certFile: who === 'rogue' ? pki.rogueCert : pki.clientCert, keyFile: who === 'rogue' ? pki.rogueKey : pki.clientKey };
    const client = new MllpClient({ host: '127.0.0.1', port: server.mllpPort!, timeoutMs: 5000, connectTimeoutMs: 5000, tls: { caFile: pki.caCert, servername: 'localhost', ...paths } });
    try {
      await expect(client.send(adt(`TLS-NO-${who}`))).rejects.toThrow();
    } finally {
      await client.close();
    }
    expect(await inboxRows(server.runtime.database.db, sql`control_id = ${`TLS-NO-${who}`}`)).toHaveLength(0);
    expect(logged(server, 'mllp TLS handshake refused').length).toBeGreaterThan(before);
  });

  it('answers nothing to a plain-TCP MLLP sender on the TLS port', async () => {
    expect(await mllpFrom(server.mllpPort!, '127.0.0.1', adt('TLS-PLAIN'))).toBeNull();
    expect(await inboxRows(server.runtime.database.db, sql`control_id = 'TLS-PLAIN'`)).toHaveLength(0);
  });

  it('POST /hl7v2 over HTTPS with the client certificate gets the AA in the body', async () => {
    const res = await post(`${server.httpUrl}/hl7v2`, adt('HTTPS-1'), { tls: tlsFor('client') });
    expect(res.status).toBe(200);
    expect(msa(res.body, 1)).toBe('AA');
    expect(msa(res.body, 2)).toBe('HTTPS-1');
  });

  it.each(['none', 'rogue'] as const)('POST /hl7v2 over HTTPS with client certificate "%s" is refused with 403 and stores nothing', async (who) => {
    const res = await post(`${server.httpUrl}/hl7v2`, adt(`HTTPS-NO-${who}`), { tls: tlsFor(who) });
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body)).toMatchObject({ resourceType: 'OperationOutcome' });
    expect(await inboxRows(server.runtime.database.db, sql`control_id = ${`HTTPS-NO-${who}`}`)).toHaveLength(0);
  });

  it('FHIR and health routes over HTTPS do not need a client certificate (they have tokens)', async () => {
    const res = await post(`${server.httpUrl}/healthz`, '', { tls: tlsFor('none') });
    expect(res.status).toBe(200);
  });
});

describe.each(testDatabaseKinds())('sender allowlist through the whole server on %s', (kind) => {
  let server: TestServer;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'carebridge-senders-'));
    const sendersFile = join(dir, 'senders.yaml');
    writeFileSync(
      sendersFile,
      [
        'allowlist: true',
        'peers: [127.0.0.1, 127.0.0.2]',
        'senders:',
        '  - { application: HIS, facility: NWH }',
        '  - { application: LAB, peers: [127.0.0.2] }',
      ].join('\n'),
    );
    server = await startTestServer(kind, { HL7_SENDERS_FILE: sendersFile, WORKERS: 'off' });
  });
  afterAll(() => server?.stop());
  const rows = (controlId: string) => inboxRows(server.runtime.database.db, sql`control_id = ${controlId}`);

  it('MLLP: a listed sender from a listed peer gets AA', async () => {
    const ack = await mllpFrom(server.mllpPort!, '127.0.0.1', adt('AL-1'));
    expect(msa(ack ?? '', 1)).toBe('AA');
    expect(await rows('AL-1')).toHaveLength(1);
  });

  it('MLLP: an unlisted MSH-3/MSH-4 gets AR with ERR-3 207 and is not taken in', async () => {
    const ack = (await mllpFrom(server.mllpPort!, '127.0.0.1', adt('AL-2', { sender: 'ROGUE', facility: 'X' })))!;
    expect(msa(ack, 1)).toBe('AR');
    expect(msa(ack, 2)).toBe('AL-2');
    expect(ack.split('\r').find((s) => s.startsWith('ERR'))).toMatch(/\|207\^/);
    expect(await rows('AL-2')).toHaveLength(0);
    expect(logged(server, 'message from a sender outside the allowlist refused').length).toBeGreaterThan(0);
  });

  it('MLLP: a sender allowed only from another peer gets AR here and AA from its own peer', async () => {
    expect(msa((await mllpFrom(server.mllpPort!, '127.0.0.1', adt('AL-3', { sender: 'LAB' })))!, 1)).toBe('AR');
    expect(msa((await mllpFrom(server.mllpPort!, '127.0.0.2', adt('AL-4', { sender: 'LAB' })))!, 1)).toBe('AA');
    expect(await rows('AL-3')).toHaveLength(0);
    expect(await rows('AL-4')).toHaveLength(1);
  });

  it('MLLP: a peer outside the CIDR list is disconnected without an answer, with a log line', async () => {
    expect(await mllpFrom(server.mllpPort!, '127.0.0.3', adt('AL-5'))).toBeNull();
    expect(await rows('AL-5')).toHaveLength(0);
    expect(logged(server, 'mllp connection from a peer outside the allowlist refused').map((l) => l.peer)).toContain('127.0.0.3');
  });

  it('HTTP: the same rules — AA, AR for an unlisted sender, 403 for an unlisted peer', async () => {
    const ok = await post(`${server.httpUrl}/hl7v2`, adt('AL-H1'), { localAddress: '127.0.0.1' });
    expect([ok.status, msa(ok.body, 1)]).toEqual([200, 'AA']);
    const rogue = await post(`${server.httpUrl}/hl7v2`, adt('AL-H2', { sender: 'ROGUE' }), { localAddress: '127.0.0.1' });
    expect(msa(rogue.body, 1)).toBe('AR');
    const lab = await post(`${server.httpUrl}/hl7v2`, adt('AL-H3', { sender: 'LAB' }), { localAddress: '127.0.0.2' });
    expect(msa(lab.body, 1)).toBe('AA');
    const outsider = await post(`${server.httpUrl}/hl7v2`, adt('AL-H4'), { localAddress: '127.0.0.3' });
    expect(outsider.status).toBe(403);
    expect(await rows('AL-H1')).toHaveLength(1);
    expect(await rows('AL-H2')).toHaveLength(0);
    expect(await rows('AL-H3')).toHaveLength(1);
    expect(await rows('AL-H4')).toHaveLength(0);
  });
});
