import { afterEach, describe, expect, it } from 'vitest';
import { encodeFrame, VT } from './constants.js';
import { MllpServer } from './server.js';
import type { MllpHandler } from './connection.js';
import { captureLogger, rawPeer, sleep } from './test-support.js';

const servers: MllpServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(handler: MllpHandler, options: Partial<ConstructorParameters<typeof MllpServer>[0]> = {}) {
  const { logger, lines } = captureLogger();
  const server = new MllpServer({ handler, logger, ...options });
  servers.push(server);
  const port = await server.listen(0, '127.0.0.1');
  return { server, port, lines };
}

const echo: MllpHandler = async (payload) => `ACK:${payload.toString('utf8')}`;

describe('MllpServer', () => {
  it('answers frames written byte by byte and several frames in one write, in order', async () => {
    const { port } = await start(echo);
    const peer = await rawPeer(port);
    for (const b of encodeFrame('one')) peer.socket.write(Buffer.from([b]));
    expect(await peer.next()).toEqual(['ACK:one']);
    peer.socket.write(Buffer.concat([Buffer.from('junk'), encodeFrame('two'), encodeFrame('three'), encodeFrame('four')]));
    expect(await peer.next(3)).toEqual(['ACK:two', 'ACK:three', 'ACK:four']);
    peer.socket.destroy();
  });

  it('processes one frame at a time per connection, in order, while connections run in parallel', async () => {
    const active = new Map<number, number>();
    let maxPerConnection = 0;
    let maxOverall = 0;
    let overall = 0;
    const { port } = await start(async (payload, { connection }) => {
      const n = (active.get(connection.id) ?? 0) + 1;
      active.set(connection.id, n);
      overall++;
      maxPerConnection = Math.max(maxPerConnection, n);
      maxOverall = Math.max(maxOverall, overall);
      await sleep(5);
      active.set(connection.id, n - 1);
      overall--;
      return `ACK:${payload.toString('utf8')}`;
    });
    const peers = await Promise.all(Array.from({ length: 20 }, () => rawPeer(port)));
    peers.forEach((p, i) => p.socket.write(Buffer.concat(Array.from({ length: 5 }, (_, k) => encodeFrame(`${i}-${k}`)))));
    const answers = await Promise.all(peers.map((p) => p.next(5)));
    answers.forEach((a, i) => expect(a).toEqual(Array.from({ length: 5 }, (_, k) => `ACK:${i}-${k}`)));
    expect(maxPerConnection).toBe(1);
    expect(maxOverall).toBeGreaterThan(1);
    peers.forEach((p) => p.socket.destroy());
  });

  it('pauses reading while frames wait (back-pressure)', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let handled = 0;
    const { server, port } = await start(async () => {
      await gate;
      handled++;
      return 'ok';
    });
    const peer = await rawPeer(port);
    const frame = encodeFrame('x'.repeat(64 * 1024));
    let written = 0;
    // Write until the kernel buffers fill up: the server must stop reading, so writes back up.
    while (peer.socket.write(frame) && written < 2000) written++;
    await sleep(100);
    expect(peer.socket.writableLength).toBeGreaterThan(0);
    expect(handled).toBe(0);
    release();
    await peer.next(written + 1);
    expect(handled).toBe(written + 1);
    expect(server.connectionCount).toBe(1);
    peer.socket.destroy();
  });

  it('refuses a frame over the limit: closes the connection with a log line and keeps serving others', async () => {
    const { port, lines } = await start(echo, { maxFrameBytes: 1024 });
    const big = await rawPeer(port);
    big.socket.write(encodeFrame('x'.repeat(2048)));
    await big.closed;
    expect(lines.some((l) => l.msg === 'mllp frame over the size limit: closing connection')).toBe(true);
    const other = await rawPeer(port);
    other.socket.write(encodeFrame('fine'));
    expect(await other.next()).toEqual(['ACK:fine']);
    other.socket.destroy();
  });

  it('closes an idle connection and a connection whose frame never completes', async () => {
    const { port, lines } = await start(echo, { idleTimeoutMs: 150, frameTimeoutMs: 300 });
    const idle = await rawPeer(port);
    await idle.closed;
    expect(lines.some((l) => l.msg === 'mllp idle timeout: closing connection')).toBe(true);
    // The trickle gets a server whose idle timeout is far off: with 150 ms, one 100 ms stall of this
    // process between two 50 ms writes let the idle timeout close the connection first.
    const trickled = await start(echo, { idleTimeoutMs: 10_000, frameTimeoutMs: 300 });
    const slow = await rawPeer(trickled.port);
    slow.socket.write(Buffer.from([VT]));
    const timer = setInterval(() => slow.socket.write('x'), 50);
    await slow.closed;
    clearInterval(timer);
    expect(trickled.lines.some((l) => l.msg === 'mllp frame not completed in time: closing connection')).toBe(true);
    expect(trickled.lines.some((l) => l.msg === 'mllp idle timeout: closing connection')).toBe(false);
  });

  it('refuses peers outside the allowlist', async () => {
    const { port, lines } = await start(echo, { allowPeer: () => false });
    const peer = await rawPeer(port);
    await peer.closed;
    expect(lines.some((l) => l.msg === 'mllp connection from a peer outside the allowlist refused')).toBe(true);
  });

  it('graceful close answers the frame in flight before closing', async () => {
    let started!: () => void;
    const inFlight = new Promise<void>((resolve) => (started = resolve));
    const { server, port } = await start(async () => {
      started();
      await sleep(100);
      return 'done';
    });
    const peer = await rawPeer(port);
    peer.socket.write(encodeFrame('slow'));
    await inFlight; // the frame is being handled (a fixed 20 ms was not always enough under load)
    await server.close();
    expect(peer.replies).toEqual(['done']);
    await peer.closed;
  });
});
