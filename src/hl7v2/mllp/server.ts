/**
 * @module The MLLP listener on node:net (or node:tls for TLS / mutual TLS).
 *
 * ```ts
 * const server = new MllpServer({ handler: async (payload) => ack, logger });
 * const port = await server.listen(2575, '0.0.0.0');
 * await server.close();   // stop accepting, answer in-flight frames, then close
 * ```
 */
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { readFileSync } from 'node:fs';
import type { Logger } from '../../logging/index.js';
import { DEFAULT_MAX_FRAME_BYTES } from './constants.js';
import { MllpConnection, normaliseAddress, type MllpHandler } from './connection.js';

export interface MllpTlsOptions {
  readonly certFile: string;
  readonly keyFile: string;
  /** CA bundle for client certificates; when set, clients must present a certificate it signed. */
  readonly caFile?: string;
}

export interface MllpServerOptions {
  readonly handler: MllpHandler;
  readonly logger: Logger;
  readonly maxFrameBytes?: number;
  readonly idleTimeoutMs?: number;
  readonly frameTimeoutMs?: number;
  readonly tls?: MllpTlsOptions;
  /** Peer filter (by IP); a refused peer is disconnected with a log line. */
  readonly allowPeer?: (address: string) => boolean;
}

export class MllpServer {
  readonly #options: MllpServerOptions;
  readonly #server: Server;
  readonly #connections = new Set<MllpConnection>();
  #closing: Promise<void> | undefined;

  constructor(options: MllpServerOptions) {
    this.#options = options;
    const onSocket = (socket: Socket) => this.#accept(socket);
    if (options.tls) {
      const { certFile, keyFile, caFile } = options.tls;
      this.#server = createTlsServer(
        { cert: readFileSync(certFile), key: readFileSync(keyFile), ...(caFile ? { ca: readFileSync(caFile), requestCert: true, rejectUnauthorized: true } : {}) },
        onSocket,
      );
      this.#server.on('tlsClientError', (err, socket: TLSSocket) =>
        options.logger.warn({ peer: normaliseAddress(socket.remoteAddress ?? ''), reason: err.message }, 'mllp TLS handshake refused'),
      );
    } else {
      this.#server = createServer(onSocket);
    }
    this.#server.on('error', (err) => options.logger.error({ err }, 'mllp listener error'));
  }

  /** Starts listening; resolves with the bound port (useful with port 0). */
  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => {
        this.#server.off('error', reject);
        resolve(this.port);
      });
    });
  }

  get port(): number {
    const address = this.#server.address();
    return typeof address === 'object' && address ? address.port : 0;
  }

  get connectionCount(): number {
    return this.#connections.size;
  }

  /** Graceful stop: refuse new connections, answer frames already received, then close sockets. */
  close(): Promise<void> {
    return (this.#closing ??= (async () => {
      const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
      await Promise.all([...this.#connections].map((c) => c.close()));
      await closed;
    })());
  }

  #accept(socket: Socket): void {
    const address = normaliseAddress(socket.remoteAddress ?? '');
    if (this.#closing) {
      socket.destroy();
      return;
    }
    if (this.#options.allowPeer && !this.#options.allowPeer(address)) {
      this.#options.logger.warn({ peer: address }, 'mllp connection from a peer outside the allowlist refused');
      socket.destroy();
      return;
    }
    const connection = new MllpConnection(socket, {
      handler: this.#options.handler,
      logger: this.#options.logger,
      maxFrameBytes: this.#options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
      idleTimeoutMs: this.#options.idleTimeoutMs ?? 0,
      frameTimeoutMs: this.#options.frameTimeoutMs ?? 0,
    });
    this.#connections.add(connection);
    socket.once('close', () => this.#connections.delete(connection));
  }
}
