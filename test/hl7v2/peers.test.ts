/**
 * Real peer libraries against our MLLP: node-hl7-client (v3.2) sends to our listener, one message
 * per ACK (it misbehaves with more in flight); node-hl7-server (2.5) receives from our MllpClient —
 * it answers a sequential sender with stray ACKs, so our client must pair ACKs by MSA-2.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, Message, type InboundResponse } from 'node-hl7-client';
import { Server } from 'node-hl7-server';
import { MllpClient } from '../../src/hl7v2/index.js';
import { sql } from '../../src/db/index.js';
import { freePort } from '../helpers/ports.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { adt, inboxRows } from './support.js';

describe('real MLLP peers', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer('pglite');
  });
  afterAll(() => server?.stop());

  it('node-hl7-client sends to our listener and gets an AA per message, each stored once', async () => {
    const client = new Client({ host: '127.0.0.1' });
    let pending: ((r: InboundResponse) => void) | undefined;
    const connection = client.createConnection({ port: server.mllpPort!, waitAck: true }, async (res) => pending?.(res));
    const answers: Array<[string, string]> = [];
    for (let i = 0; i < 10; i++) {
      const got = new Promise<InboundResponse>((resolve) => (pending = resolve));
      await connection.sendMessage(new Message({ text: adt(`NHC-${i}`, { mrn: 'PEER1' }) }));
      const ack = (await got).getMessage();
      answers.push([ack.get('MSA.1').toString(), ack.get('MSA.2').toString()]);
    }
    await connection.close();
    expect(answers).toEqual(Array.from({ length: 10 }, (_, i) => ['AA', `NHC-${i}`]));
    const rows = await inboxRows(server.runtime.database.db, sql`control_id like 'NHC-%'`);
    expect(rows).toHaveLength(10);
  });

  it('our MllpClient pairs each ACK from node-hl7-server with its own message despite stray ACKs', async () => {
    const port = await freePort();
    const peer = new Server({ bindAddress: '127.0.0.1' });
    const received: string[] = [];
    const inbound = peer.createInbound({ port }, async (req, res) => {
      received.push(req.getMessage().get('MSH.10').toString());
      await res.sendResponse('AA');
    });
    await new Promise<void>((resolve) => inbound.once('listen', () => resolve()));
    const client = new MllpClient({ host: '127.0.0.1', port, timeoutMs: 5000 });
    try {
      for (let i = 0; i < 5; i++) {
        const res = await client.send(adt(`OUT-${i}`));
        expect(res).toMatchObject({ code: 'AA', controlId: `OUT-${i}` });
      }
    } finally {
      await client.close();
      await inbound.close();
    }
    expect(new Set(received)).toEqual(new Set(Array.from({ length: 5 }, (_, i) => `OUT-${i}`)));
  });
});
