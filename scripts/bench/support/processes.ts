/**
 * Child processes for the benchmarks: servers run in their own process so they do not share an
 * event loop with the load generator. (A folder of its own: scripts/bench.ts runs every .ts file
 * directly in scripts/bench/ as a benchmark.)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../..', import.meta.url));

/** A free TCP port on 127.0.0.1 (ask the OS, then release it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface ChildOptions {
  /** Script and its arguments, relative to the project root (run with `node --import tsx`). */
  readonly args: readonly string[];
  readonly env?: Record<string, string>;
  /** Printed on stdout once the child is ready. */
  readonly ready: RegExp;
  /** Extra node flags, e.g. `--cpu-prof`. */
  readonly nodeArgs?: readonly string[];
}

/** The child's last warnings and errors (pino lines at level ≥ 40) and the tail of its stderr. */
const problems = new WeakMap<ChildProcess, { warnings: string[]; stderr: string }>();

/**
 * What a child said that a failed benchmark should show: its last warning/error log lines and the
 * end of its stderr. Servers log at info or warn and their stdout is otherwise dropped.
 */
export function problemsOf(child: ChildProcess): string {
  const p = problems.get(child);
  if (!p || (p.warnings.length === 0 && !p.stderr)) return '(nothing logged at warn or above)';
  return [...p.warnings, p.stderr.trim()].filter(Boolean).join('\n');
}

/** Keeps the last 20 pino lines at warn, error or fatal from a stream of log chunks. */
function keepWarnings(into: string[]): (b: Buffer) => void {
  let partial = '';
  return (b) => {
    const text = partial + b.toString('utf8');
    const end = text.lastIndexOf('\n');
    partial = text.slice(end + 1).slice(-8000);
    if (!/"level":[456]0/.test(text)) return;
    for (const line of text.slice(0, end).split('\n')) {
      if (/"level":[456]0/.test(line)) into.push(line.slice(0, 600));
    }
    into.splice(0, Math.max(0, into.length - 20));
  };
}

/**
 * Starts the child and resolves once its stdout matches `ready`; afterwards stdout is read only for
 * warnings (problemsOf) so the child never blocks on it. Fails after 2 minutes without the ready
 * line, so a benchmark never holds the machine (or /tmp/bench.lock) waiting for a server that will
 * not come up.
 */
export async function spawnReady(o: ChildOptions): Promise<ChildProcess> {
  const child = spawn(process.execPath, [...(o.nodeArgs ?? []), '--import', 'tsx', ...o.args], {
    cwd: root, env: { ...process.env, ...o.env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const seen = { warnings: [] as string[], stderr: '' };
  problems.set(child, seen);
  child.stderr!.on('data', (b: Buffer) => (seen.stderr = (seen.stderr + b.toString('utf8')).slice(-4000)));
  try {
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const onData = (b: Buffer) => {
        out = (out + b.toString('utf8')).slice(-8000);
        if (!o.ready.test(out)) return;
        child.stdout!.off('data', onData);
        child.stdout!.on('data', keepWarnings(seen.warnings));
        resolve();
      };
      child.stdout!.on('data', onData);
      child.once('exit', (code) => reject(new Error(`${o.args.join(' ')} exited ${code}: ${seen.stderr}`)));
      setTimeout(() => reject(new Error(`${o.args.join(' ')} not ready after 120 s: ${seen.stderr}`)), 120_000).unref();
    });
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
  return child;
}

/** SIGTERM, then SIGKILL after 15 s. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}
