import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url).pathname;

/** Runs `body` in a child process with `createLogger()` writing to its stdout; resolves when `until` holds or the child exits. */
function runChild(body: string, until: (stdout: string) => boolean = () => false): Promise<{ stdout: string; code: number | string }> {
  const code = `import { createLogger } from './src/logging/index.ts'; const logger = createLogger(); ${body}`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  return new Promise((resolve) => {
    child.stdout.on('data', (b: Buffer) => {
      stdout += b.toString('utf8');
      if (until(stdout)) child.kill('SIGKILL');
    });
    child.once('close', (exitCode, signal) => resolve({ stdout, code: exitCode ?? signal ?? -1 }));
  });
}

const messages = (stdout: string) => stdout.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { msg: string }).msg);

describe('logger on stdout (written in batches)', () => {
  it('writes a line of a process that keeps running, without waiting for more lines to fill a batch', async () => {
    const { stdout } = await runChild(`logger.info('still here'); setInterval(() => undefined, 1000);`, (out) => out.includes('still here'));
    expect(messages(stdout)).toEqual(['still here']);
  });

  it('writes every buffered line before process.exit', async () => {
    const { stdout, code } = await runChild(`for (let i = 0; i < 3; i++) logger.info('line ' + i); process.exit(3);`);
    expect(code).toBe(3);
    expect(messages(stdout)).toEqual(['line 0', 'line 1', 'line 2']);
  });

  it('writes every buffered line before a crash ends the process', async () => {
    const { stdout, code } = await runChild(`logger.error('about to fail'); setImmediate(() => { throw new Error('boom'); });`);
    expect(code).toBe(1);
    expect(messages(stdout)).toEqual(['about to fail']);
  });
});
