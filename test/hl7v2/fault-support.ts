/** Fault-test drivers: a server child process and a client that re-sends whatever was not ACKed AA. */
import { spawn, type ChildProcess } from 'node:child_process';
import { MllpClient } from '../../src/hl7v2/index.js';
import { TEST_ADMIN_TOKEN } from '../helpers/server.js';

export interface ServerProcess {
  readonly child: ChildProcess;
  readonly mllpPort: number;
  readonly stderr: string[];
}

export async function spawnServer(env: Record<string, string>): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', new URL('./fault-server.ts', import.meta.url).pathname], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', CAREBRIDGE_ADMIN_TOKEN: TEST_ADMIN_TOKEN, WORKERS: 'on', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderr: string[] = [];
  child.stderr!.on('data', (b: Buffer) => stderr.push(b.toString('utf8')));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString('utf8');
      const m = /READY (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code} before READY: ${stderr.join('').slice(-2000)}`)));
  });
  return { child, mllpPort: port, stderr };
}

const hasExited = (p: ServerProcess) => p.child.exitCode !== null || p.child.signalCode !== null;

export async function killHard(p: ServerProcess): Promise<void> {
  if (hasExited(p)) return;
  const exited = new Promise<void>((resolve) => p.child.once('exit', () => resolve()));
  p.child.kill('SIGKILL');
  await exited;
}

export async function stopGracefully(p: ServerProcess): Promise<void> {
  if (hasExited(p)) return;
  const exited = new Promise<void>((resolve) => p.child.once('exit', () => resolve()));
  p.child.kill('SIGTERM');
  await exited;
}

export interface AckEvent {
  readonly id: string;
  readonly code: string;
  readonly at: number;
}

/**
 * Sends every message, each connection one at a time, re-sending a message until it is answered
 * AA (errors, timeouts, AR and closed connections all mean "send it again").
 */
export async function resendingStream(options: {
  port: () => number;
  messages: ReadonlyArray<{ id: string; er7: string }>;
  connections: number;
  onAck?: (e: AckEvent) => void;
  deadlineMs?: number;
}): Promise<Set<string>> {
  const acked = new Set<string>();
  let next = 0;
  const deadline = Date.now() + (options.deadlineMs ?? 120_000);
  const lane = async () => {
    let client: MllpClient | undefined;
    let clientPort = -1;
    while (next < options.messages.length) {
      const { id, er7 } = options.messages[next++]!;
      for (;;) {
        if (Date.now() > deadline) throw new Error(`stream deadline passed with ${acked.size} ACKed`);
        if (!client || clientPort !== options.port()) {
          await client?.close();
          clientPort = options.port();
          client = new MllpClient({ host: '127.0.0.1', port: clientPort, timeoutMs: 5000, connectTimeoutMs: 2000 });
        }
        try {
          const res = await client.send(er7);
          options.onAck?.({ id, code: res.code, at: Date.now() });
          if (res.code === 'AA') {
            acked.add(id);
            break;
          }
        } catch {
          // Connection refused / closed / timed out: the server is down or restarting.
          await client.close().catch(() => undefined);
          client = undefined;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    await client?.close();
  };
  await Promise.all(Array.from({ length: options.connections }, lane));
  return acked;
}
