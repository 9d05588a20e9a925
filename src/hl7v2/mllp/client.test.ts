import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:net';
import { encodeFrame } from './constants.js';
import { MllpClient } from './client.js';
import { MllpFrameDecoder } from './frame-decoder.js';
import { MllpServer } from './server.js';
import { captureLogger } from './test-support.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const msg = (id: string) => `MSH|^~\\&|APP|FAC|CB|CB|20240101000000||ADT^A01|${id}|P|2.5.1\rPID|1||X`;
const ack = (id: string, code = 'AA') => `MSH|^~\\&|CB|CB|APP|FAC|20240101000000||ACK^A01|A${id}|P|2.5.1\rMSA|${code}|${id}`;

async function server(handler: (payload: string) => Promise<string | undefined>) {
  const { logger } = captureLogger();
  const s = new MllpServer({ logger, handler: async (p) => handler(p.toString('utf8')) });
  const port = await s.listen(0, '127.0.0.1');
  cleanups.push(() => s.close());
  return port;
}

function controlId(er7: string) {
  return er7.split('\r')[0]!.split('|')[9]!;
}

describe('MllpClient', () => {
  it('sends messages one at a time and pairs each ACK by MSA-2, ignoring stray ACKs', async () => {
    // A raw server that first sends a stray ACK for some other message, then the real one.
    const srv: Server = createServer((socket) => {
      const d = new MllpFrameDecoder();
      socket.on('data', (chunk: Buffer) => {
        for (const item of d.push(chunk)) {
          if (item.kind !== 'frame') continue;
          const id = controlId(item.payload.toString('utf8'));
          socket.write(Buffer.concat([encodeFrame(ack('someone-else')), encodeFrame(ack(id, id.endsWith('3') ? 'AE' : 'AA'))]));
        }
      });
    });
    await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => srv.close(() => resolve())));
    const port = (srv.address() as { port: number }).port;
    const client = new MllpClient({ host: '127.0.0.1', port });
    cleanups.push(() => client.close());
    const results = await Promise.all(['m1', 'm2', 'm3'].map((id) => client.send(msg(id))));
    expect(results.map((r) => [r.controlId, r.code])).toEqual([['m1', 'AA'], ['m2', 'AA'], ['m3', 'AE']]);
  });

  it('times out when no matching ACK comes, then reconnects for the next message', async () => {
    let calls = 0;
    const port = await server(async (p) => {
      calls++;
      return calls === 1 ? undefined : ack(controlId(p));
    });
    // The same timeout bounds the reconnect and the answer to 'next': 200 ms was tight on a loaded machine.
    const client = new MllpClient({ host: '127.0.0.1', port, timeoutMs: 1000 });
    cleanups.push(() => client.close());
    await expect(client.send(msg('lost'))).rejects.toMatchObject({ code: 'CB_ERR_TIMEOUT' });
    await expect(client.send(msg('next'))).resolves.toMatchObject({ code: 'AA', controlId: 'next' });
  });

  it('reconnects after the server dropped the connection', async () => {
    let connections = 0;
    let hungUp!: () => void;
    const firstClosed = new Promise<void>((resolve) => (hungUp = resolve));
    const srv: Server = createServer((socket) => {
      connections++;
      socket.once('close', () => hungUp());
      const d = new MllpFrameDecoder();
      socket.on('data', (chunk: Buffer) => {
        for (const item of d.push(chunk)) {
          // Answer, then hang up: the client must open a new connection for the next message.
          if (item.kind === 'frame') socket.end(encodeFrame(ack(controlId(item.payload.toString('utf8')))));
        }
      });
    });
    await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => srv.close(() => resolve())));
    const client = new MllpClient({ host: '127.0.0.1', port: (srv.address() as { port: number }).port });
    cleanups.push(() => client.close());
    expect((await client.send(msg('a'))).code).toBe('AA');
    // Send 'b' once the hang-up is complete (the server's side closes after the client ended its
    // own), not after a fixed 20 ms a loaded machine may not have spent on it.
    await firstClosed;
    expect((await client.send(msg('b'))).code).toBe('AA');
    expect(connections).toBe(2);
  });

  it('rejects when the connection is refused', async () => {
    const client = new MllpClient({ host: '127.0.0.1', port: 1, timeoutMs: 500 });
    await expect(client.send(msg('x'))).rejects.toBeTruthy();
  });
});
