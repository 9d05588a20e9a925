/**
 * A real HTTP receiver on 127.0.0.1 standing in for the CRM / a webhook subscriber. Its behaviour
 * can be switched while a test runs: accept, answer a status, or drop the connection.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type ReceiverMode = { kind: 'ok' } | { kind: 'status'; status: number; body?: string } | { kind: 'drop' };

export interface ReceivedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly at: number;
}

export interface HttpReceiver {
  readonly url: string;
  /** Requests answered 2xx, in arrival order. */
  readonly accepted: ReceivedRequest[];
  /** Every request that reached the handler (incl. refused and dropped ones). */
  readonly seen: ReceivedRequest[];
  mode: ReceiverMode;
  /** Decides per request (overrides `mode` when set). */
  decide?: (req: ReceivedRequest) => ReceiverMode;
  /** Resolves once `accepted.length >= n` (rejects after `ms`). */
  waitFor(n: number, ms?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startHttpReceiver(): Promise<HttpReceiver> {
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  const receiver: HttpReceiver = {
    url: '', // set once listening
    accepted: [],
    seen: [],
    mode: { kind: 'ok' },
    waitFor(n, ms = 20_000) {
      if (receiver.accepted.length >= n) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`receiver got ${receiver.accepted.length} of ${n} within ${ms} ms`)), ms);
        waiters.push({ n, resolve: () => (clearTimeout(t), resolve()) });
      });
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: ReceivedRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() };
      receiver.seen.push(r);
      const mode = receiver.decide ? receiver.decide(r) : receiver.mode;
      if (mode.kind === 'drop') {
        req.socket.destroy();
        return;
      }
      if (mode.kind === 'status') {
        res.writeHead(mode.status, { 'content-type': 'application/json' }).end(mode.body ?? '{"error":"refused"}');
        return;
      }
      receiver.accepted.push(r);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      for (const w of [...waiters]) if (receiver.accepted.length >= w.n) (waiters.splice(waiters.indexOf(w), 1), w.resolve());
    });
  });
  // Port 0: the OS picks a free port while binding (asking first and binding later can race another process).
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  (receiver as { url: string }).url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return receiver;
}
