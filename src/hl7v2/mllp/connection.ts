/**
 * @module One inbound MLLP connection: decodes frames, hands them to the handler ONE AT A TIME in
 * arrival order, writes each reply, and applies back-pressure by pausing the socket while frames
 * wait (a slow database slows the sender's reads instead of growing our memory).
 */
import type { Socket } from 'node:net';
import type { Logger } from '../../logging/index.js';
import { encodeFrame } from './constants.js';
import { MllpFrameDecoder } from './frame-decoder.js';

/** What the handler returns: the reply to frame back (an ACK), or nothing (no reply). */
export type MllpReply = string | Buffer | undefined;

export interface MllpFrameContext {
  readonly connection: MllpConnection;
  /** performance.now() when the frame's last byte arrived (for ACK latency). */
  readonly receivedAt: number;
}

export type MllpHandler = (payload: Buffer, context: MllpFrameContext) => Promise<MllpReply>;

export interface MllpConnectionOptions {
  readonly handler: MllpHandler;
  readonly logger: Logger;
  readonly maxFrameBytes: number;
  /** Close after this long without any byte in either direction (0 = never). */
  readonly idleTimeoutMs: number;
  /** Close when a started frame is not complete after this long (0 = never): slow-loris guard. */
  readonly frameTimeoutMs: number;
}

let nextConnectionId = 1;

export class MllpConnection {
  readonly id = nextConnectionId++;
  readonly socket: Socket;
  /** `address:port` of the peer. */
  readonly peer: string;
  readonly remoteAddress: string;
  readonly #options: MllpConnectionOptions;
  readonly #decoder: MllpFrameDecoder;
  readonly #queue: Array<{ payload: Buffer; receivedAt: number }> = [];
  #busy = false;
  #closed = false;
  #draining = false;
  #frameTimer: NodeJS.Timeout | undefined;
  #idleWaiters: Array<() => void> = [];

  constructor(socket: Socket, options: MllpConnectionOptions) {
    this.socket = socket;
    this.#options = options;
    this.remoteAddress = normaliseAddress(socket.remoteAddress ?? '');
    this.peer = `${this.remoteAddress}:${socket.remotePort ?? 0}`;
    this.#decoder = new MllpFrameDecoder({ maxFrameBytes: options.maxFrameBytes });
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', (err) => this.#log().debug({ connection: this.id, code: (err as NodeJS.ErrnoException).code }, 'mllp connection error'));
    socket.on('close', () => this.#onClose());
    if (options.idleTimeoutMs > 0) {
      socket.setTimeout(options.idleTimeoutMs, () => {
        if (this.#busy || this.#queue.length > 0) return;
        this.#log().info({ connection: this.id, peer: this.peer, idleMs: options.idleTimeoutMs }, 'mllp idle timeout: closing connection');
        socket.destroy();
      });
    }
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** True when no frame is queued or in process. */
  get idle(): boolean {
    return !this.#busy && this.#queue.length === 0;
  }

  /** Sends an unsolicited frame (e.g. an application ACK). False when the connection is gone. */
  send(payload: string | Buffer): boolean {
    if (this.#closed || this.socket.destroyed) return false;
    this.socket.write(encodeFrame(payload));
    return true;
  }

  /** Stop reading new frames; resolves when queued and in-flight frames are answered. */
  async drain(): Promise<void> {
    this.#draining = true;
    this.socket.pause();
    this.#clearFrameTimer();
    if (this.idle) return;
    await new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Closes after answering what is in flight. */
  async close(): Promise<void> {
    await this.drain();
    if (this.#closed) return;
    await new Promise<void>((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.end();
      setTimeout(() => this.socket.destroy(), 2000).unref();
    });
  }

  #log(): Logger {
    return this.#options.logger;
  }

  #onData(chunk: Buffer): void {
    if (this.#draining) return;
    const now = performance.now();
    for (const item of this.#decoder.push(chunk)) {
      if (item.kind === 'frame') {
        this.#queue.push({ payload: item.payload, receivedAt: now });
      } else if (item.kind === 'discarded') {
        this.#log().warn({ connection: this.id, peer: this.peer, bytes: item.bytes }, 'mllp bytes outside a frame discarded');
      } else {
        this.#log().warn({ connection: this.id, peer: this.peer, bytes: item.bytes, limit: this.#options.maxFrameBytes }, 'mllp frame over the size limit: closing connection');
        this.#queue.length = 0;
        this.socket.destroy();
        return;
      }
    }
    this.#armFrameTimer();
    if (this.#queue.length > 0) {
      // Back-pressure: stop reading until this connection's frames are answered.
      this.socket.pause();
      void this.#pump();
    }
  }

  #armFrameTimer(): void {
    if (!this.#decoder.inFrame || this.#options.frameTimeoutMs <= 0) {
      this.#clearFrameTimer();
      return;
    }
    if (this.#frameTimer) return;
    this.#frameTimer = setTimeout(() => {
      this.#frameTimer = undefined;
      if (!this.#decoder.inFrame) return;
      this.#log().warn({ connection: this.id, peer: this.peer, bytes: this.#decoder.pendingBytes, frameTimeoutMs: this.#options.frameTimeoutMs }, 'mllp frame not completed in time: closing connection');
      this.socket.destroy();
    }, this.#options.frameTimeoutMs);
    this.#frameTimer.unref();
  }

  #clearFrameTimer(): void {
    if (this.#frameTimer) clearTimeout(this.#frameTimer);
    this.#frameTimer = undefined;
  }

  async #pump(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      while (this.#queue.length > 0 && !this.#closed) {
        const { payload, receivedAt } = this.#queue.shift()!;
        let reply: MllpReply;
        try {
          reply = await this.#options.handler(payload, { connection: this, receivedAt });
        } catch (err) {
          // The handler answers every frame itself; reaching here is a bug, not bad input.
          this.#log().error({ connection: this.id, err }, 'mllp handler failed: closing connection');
          this.socket.destroy();
          break;
        }
        if (reply !== undefined && !this.socket.destroyed) {
          const flushed = this.socket.write(encodeFrame(reply));
          if (!flushed) await new Promise<void>((resolve) => this.socket.once('drain', resolve).once('close', resolve));
        }
      }
    } finally {
      this.#busy = false;
      this.#queue.length = this.#closed ? 0 : this.#queue.length;
      if (!this.#closed && !this.#draining) this.socket.resume();
      if (this.idle) this.#wakeIdleWaiters();
    }
  }

  #onClose(): void {
    this.#closed = true;
    this.#clearFrameTimer();
    if (this.idle) this.#wakeIdleWaiters();
  }

  #wakeIdleWaiters(): void {
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const w of waiters) w();
  }
}

/** `::ffff:127.0.0.1` → `127.0.0.1`, so allowlists can be written in IPv4. */
export function normaliseAddress(address: string): string {
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}
