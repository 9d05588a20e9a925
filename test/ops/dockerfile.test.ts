/**
 * No Docker engine runs here, so the Dockerfile is checked statically: every COPY source exists,
 * the final stage runs as non-root with production dependencies only, and the ports, health check
 * and entry point agree with the README and the build output.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url).pathname;
const dockerfile = readFileSync(`${root}Dockerfile`, 'utf8');
const lines = dockerfile.split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'));
const stages = dockerfile.split(/^FROM /m).slice(1);
const finalStage = stages[stages.length - 1] ?? '';

describe('Dockerfile', () => {
  it('is multi-stage on a current Node LTS image', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const s of stages) expect(s).toMatch(/^node:(2[2-9]|[3-9]\d)[-.\w]*/);
  });

  it('copies only paths that exist in the repository', () => {
    const copies = lines.filter((l) => /^COPY\s/.test(l) && !l.includes('--from='));
    expect(copies.length).toBeGreaterThan(0);
    for (const l of copies) {
      const parts = l.trim().split(/\s+/).slice(1).filter((p) => !p.startsWith('--'));
      for (const src of parts.slice(0, -1)) expect(existsSync(`${root}${src}`), `${src} (in: ${l.trim()})`).toBe(true);
    }
  });

  it('installs production dependencies only and runs as a non-root user in the final stage', () => {
    expect(finalStage).toMatch(/npm ci --omit=dev/);
    expect(finalStage).toMatch(/^USER (?!root)\w+/m);
  });

  it('exposes the default ports and checks /healthz', () => {
    expect(finalStage).toMatch(/EXPOSE 8080 2575/);
    expect(finalStage).toMatch(/HEALTHCHECK[\s\S]*\/healthz/);
  });

  it('starts the file the build produces, the same one npm start runs', () => {
    const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { scripts: Record<string, string> };
    const cmd = /CMD \["node", "([^"]+)"\]/.exec(finalStage)?.[1];
    expect(cmd).toBe('dist/main.js');
    expect(pkg.scripts.start).toContain(cmd!);
    const build = JSON.parse(readFileSync(`${root}tsconfig.build.json`, 'utf8')) as { compilerOptions: { outDir: string; rootDir: string } };
    expect(build.compilerOptions.outDir).toBe('dist');
    expect(existsSync(`${root}src/main.ts`)).toBe(true);
  });

  it('documents the same ports and variables as the README', () => {
    const readme = readFileSync(`${root}README.md`, 'utf8');
    for (const v of ['PORT', 'MLLP_PORT', 'DATA_DIR', 'MAPPINGS_DIR']) {
      expect(finalStage).toContain(v);
      expect(readme).toContain(`\`${v}\``);
    }
  });
});
