/** @module Test-only helpers for the MLLP tests (a capturing logger, raw sockets). Not exported. */
import { connect, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../logging/index.js';
import { MllpFrameDecoder } from './frame-decoder.js';

export function captureLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      cb();
    },
  });
  return { logger: createLogger({ level: 'debug' }, sink), lines };
}

/** A raw TCP socket that collects decoded reply frames, for byte-level tests. */
export async function rawPeer(port: number): Promise<{ socket: Socket; replies: string[]; closed: Promise<void>; next(n?: number): Promise<string[]> }> {
  const socket = connect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const decoder = new MllpFrameDecoder();
  const replies: string[] = [];
  let wake: (() => void) | undefined;
  socket.on('data', (chunk: Buffer) => {
    for (const item of decoder.push(chunk)) if (item.kind === 'frame') replies.push(item.payload.toString('utf8'));
    wake?.();
  });
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const next = async (n = 1) => {
    while (replies.length < n) {
      await Promise.race([new Promise<void>((resolve) => (wake = resolve)), closed]);
      if (socket.destroyed && replies.length < n) throw new Error(`connection closed after ${replies.length} replies`);
    }
    return replies.splice(0, n);
  };
  return { socket, replies, closed, next };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
