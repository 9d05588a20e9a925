/**
 * @module `carebridge bench [--quick] [--only a,b]`: runs `npm run bench` (scripts/bench.ts) from a
 * source checkout; the benchmarks need the dev dependencies (tsx, the peer libraries).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { CliCommand } from './commands.js';

const root = new URL('../../', import.meta.url).pathname;

export const bench: CliCommand = {
  name: 'bench',
  summary: 'run the benchmarks (npm run bench; --quick scales sizes down, --only picks some)',
  async run(args) {
    if (!existsSync(`${root}scripts/bench.ts`) || !existsSync(`${root}node_modules/.bin/tsx`)) {
      process.stderr.write('carebridge bench: needs a source checkout with dev dependencies (npm ci)\n');
      return 2;
    }
    return new Promise<number>((resolve) => {
      const child = spawn(`${root}node_modules/.bin/tsx`, [`${root}scripts/bench.ts`, ...args], { stdio: 'inherit', cwd: root });
      child.on('exit', (code) => resolve(code ?? 1));
    });
  },
};
