/**
 * @module An MLLP client: one message in flight per connection, the ACK paired by MSA-2 = MSH-10
 * (stray or late ACKs are ignored), a timeout per message, and a fresh connection on the next send
 * after the socket dropped. Used by the outbound MLLP connector and by tests and benchmarks.
 *
 * ```ts
 * const client = new MllpClient({ host: '127.0.0.1', port: 2575 });
 * const { code, ack } = await client.send(er7);   // code = MSA-1 ('AA', 'AE', 'CA', …)
 * await client.close();
 * ```
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { readFileSync } from 'node:fs';
import { CarebridgeError } from '../../errors/index.js';
import { DEFAULT_MAX_FRAME_BYTES, encodeFrame } from './constants.js';
import { MllpFrameDecoder } from './frame-decoder.js';
import { peekField } from './peek.js';

export interface MllpClientTlsOptions {
  readonly caFile?: string;
  readonly certFile?: string;
  readonly keyFile?: string;
  readonly servername?: string;
}

export interface MllpClientOptions {
  readonly host: string;
  readonly port: number;
  /** How long to wait for the matching ACK (default 30 s). */
  readonly timeoutMs?: number;
  readonly connectTimeoutMs?: number;
  readonly maxFrameBytes?: number;
  readonly tls?: MllpClientTlsOptions;
}

export interface MllpResponse {
  /** MSA-1 of the answer. */
  readonly code: string;
  /** The whole answer (ER7). */
  readonly ack: string;
  /** MSH-10 of the message sent. */
  readonly controlId: string;
}

interface Pending {
  readonly controlId: string;
  readonly socket: Socket;
  resolve(r: MllpResponse): void;
  reject(e: Error): void;
  readonly timer: NodeJS.Timeout;
}

export class MllpClient {
  readonly #options: MllpClientOptions;
  #socket: Socket | undefined;
  #connecting: Promise<Socket> | undefined;
  #pending: Pending | undefined;
  #tail: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(options: MllpClientOptions) {
    this.#options = options;
  }

  /** Sends one message and resolves with its ACK; messages queue behind the one in flight. */
  send(message: string): Promise<MllpResponse> {
    const run = this.#tail.then(
      () => this.#sendNow(message),
      () => this.#sendNow(message),
    );
    this.#tail = run.catch(() => undefined);
    return run;
  }

  /** Closes the connection (a later send reconnects unless closed for good). */
  async close(): Promise<void> {
    this.#closed = true;
    const socket = this.#socket;
    this.#socket = undefined;
    if (!socket || socket.destroyed) return;
    await new Promise<void>((resolve) => {
      socket.once('close', () => resolve());
      socket.end();
      setTimeout(() => socket.destroy(), 1000).unref();
    });
  }

  async #sendNow(message: string): Promise<MllpResponse> {
    if (this.#closed) throw new CarebridgeError('CB_ERR_OUTBOUND_DELIVERY', 'MLLP client is closed');
    const controlId = peekField(message, 'MSH', 10) ?? '';
    const socket = await this.#connect();
    return new Promise<MllpResponse>((resolve, reject) => {
      const timeoutMs = this.#options.timeoutMs ?? 30_000;
      const timer = setTimeout(() => {
        this.#pending = undefined;
        // A late ACK must not be taken for the next message's answer: start over on a new socket.
        socket.destroy();
        reject(new CarebridgeError('CB_ERR_TIMEOUT', `no ACK for ${controlId} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending = { controlId, socket, resolve, reject, timer };
      socket.write(encodeFrame(message));
    });
  }

  #connect(): Promise<Socket> {
    // After the peer's FIN the socket ends its own side before 'close': not writable, but not destroyed yet.
    if (this.#socket && !this.#socket.destroyed && this.#socket.writable) return Promise.resolve(this.#socket);
    return (this.#connecting ??= this.#open().finally(() => {
      this.#connecting = undefined;
    }));
  }

  #open(): Promise<Socket> {
    const { host, port, tls } = this.#options;
    return new Promise<Socket>((resolve, reject) => {
      const socket = tls
        ? tlsConnect({
            host,
            port,
            servername: tls.servername ?? host,
            ...(tls.caFile ? { ca: readFileSync(tls.caFile) } : {}),
            ...(tls.certFile ? { cert: readFileSync(tls.certFile) } : {}),
            ...(tls.keyFile ? { key: readFileSync(tls.keyFile) } : {}),
          })
        : netConnect({ host, port });
      const ready = tls ? 'secureConnect' : 'connect';
      const connectTimer = setTimeout(() => {
        socket.destroy(new CarebridgeError('CB_ERR_TIMEOUT', `MLLP connect to ${host}:${port} timed out`));
      }, this.#options.connectTimeoutMs ?? 10_000);
      const decoder = new MllpFrameDecoder({ maxFrameBytes: this.#options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES });
      socket.once(ready, () => {
        clearTimeout(connectTimer);
        socket.setNoDelay(true);
        this.#socket = socket;
        resolve(socket);
      });
      socket.on('data', (chunk: Buffer) => {
        for (const item of decoder.push(chunk)) {
          if (item.kind === 'frame') this.#onAck(item.payload.toString('utf8'));
          else if (item.kind === 'too-large') socket.destroy();
        }
      });
      socket.on('error', (err) => {
        clearTimeout(connectTimer);
        reject(err);
        this.#failPending(socket, err);
      });
      socket.on('close', () => {
        clearTimeout(connectTimer);
        if (this.#socket === socket) this.#socket = undefined;
        this.#failPending(socket, new CarebridgeError('CB_ERR_OUTBOUND_DELIVERY', 'MLLP connection closed before the ACK arrived'));
      });
    });
  }

  #onAck(ack: string): void {
    const pending = this.#pending;
    if (!pending) return;
    const answers = peekField(ack, 'MSA', 2);
    if (answers !== pending.controlId) return;
    this.#pending = undefined;
    clearTimeout(pending.timer);
    pending.resolve({ code: peekField(ack, 'MSA', 1) ?? '', ack, controlId: pending.controlId });
  }

  #failPending(socket: Socket, err: Error): void {
    const pending = this.#pending;
    // A socket given up on (timeout) may close later, while the next message waits on a new one.
    if (!pending || pending.socket !== socket) return;
    this.#pending = undefined;
    clearTimeout(pending.timer);
    pending.reject(err instanceof CarebridgeError ? err : new CarebridgeError('CB_ERR_OUTBOUND_DELIVERY', `MLLP connection failed: ${err.message}`, { cause: err }));
  }
}
