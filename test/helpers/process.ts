/**
 * Runs carebridge as a real child process (`node --import tsx src/main.ts`), for tests that need
 * signals (SIGTERM, SIGKILL) or two server processes on one database.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync } from 'node:fs';
import { createInterface } from 'node:readline';

export interface ServerProcess {
  readonly child: ChildProcess;
  readonly httpUrl: string;
  readonly mllpPort?: number;
  /** Parsed JSON log lines so far. */
  readonly logs: Array<Record<string, unknown>>;
  /** stdout lines that are not JSON (e.g. the first-start credentials). */
  readonly plainOutput: string[];
  /** Resolves with the exit code (or signal name) when the process ends. */
  readonly exited: Promise<number | string>;
}

const root = new URL('../../', import.meta.url).pathname;
const LOG_DIR = `${root}test-artifacts/logs/`;

export async function spawnServer(env: Record<string, string>, options: { readyTimeoutMs?: number } = {}): Promise<ServerProcess> {
  // The suite's own DATABASE_URL (the shared database .ci/run points at) is never inherited: a
  // child without one in `env` runs on PGlite in its DATA_DIR, as the test asked, and cannot
  // write into the shared database (the PGlite half of graceful-shutdown did, unnoticed).
  const { DATABASE_URL: _suiteDatabase, ...inherited } = process.env;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    env: { ...inherited, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Array<Record<string, unknown>> = [];
  const plainOutput: string[] = [];
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  const ready = new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server not ready in time; stderr: ${stderr.slice(-2000)}`)), options.readyTimeoutMs ?? 30_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        plainOutput.push(line); // bootstrap credentials and other plain lines
        return;
      }
      logs.push(entry);
      mkdirSync(LOG_DIR, { recursive: true });
      appendFileSync(`${LOG_DIR}process-${process.pid}.jsonl`, `${line}\n`);
      if (entry.msg === 'carebridge ready') {
        clearTimeout(timer);
        resolve(entry);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code}) before ready; stderr: ${stderr.slice(-2000)}`));
    });
  });
  const entry = await ready;
  const fhir = String(entry.fhir);
  return {
    child,
    httpUrl: fhir.replace(/\/fhir$/, ''),
    mllpPort: typeof entry.mllpPort === 'number' ? entry.mllpPort : undefined,
    logs,
    plainOutput,
    exited,
  };
}
