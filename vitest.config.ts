import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The longest files (CI runs of 2026-12-05), started before everything else: the default order
 * (largest file first on a clean clone) started the 100 s fault test a quarter of the way in, and a
 * long file starting late leaves one fork working alone at the end.
 */
const LONGEST_FIRST = ['test/hl7v2/fault.test.ts', 'test/ops/graceful-shutdown.test.ts', 'test/outbound/delivery.test.ts', 'test/auth/cli.test.ts', 'test/hl7v2/intake-http.test.ts', 'test/mapping/processor.test.ts'];

class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (f: TestSpecification) => {
      const i = LONGEST_FIRST.findIndex((path) => f.moduleId.endsWith(`/${path}`));
      return i < 0 ? LONGEST_FIRST.length : i;
    };
    return sorted.map((f, i) => ({ f, i })).sort((a, b) => rank(a.f) - rank(b.f) || a.i - b.i).map(({ f }) => f);
  }
}

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    pool: 'forks',
    // Two cores: more workers only add contention with PostgreSQL on the same machine.
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    sequence: { sequencer: LongestFirst },
    testTimeout: 60_000,
    // Hooks start and stop whole servers (migrations, PGlite); a stalled machine has been seen to
    // need most of a minute for one. A hook that hangs for real still fails, just later.
    hookTimeout: 120_000,
    globalSetup: ['test/helpers/global-setup.ts'],
  },
});
