/**
 * A real carebridge server for end-to-end tests: its own fresh database (PGlite or PostgreSQL),
 * HTTP and MLLP on random free loopback ports (`s.httpUrl`, `s.mllpPort`).
 *
 * ```ts
 * const s = await startTestServer('pglite', { CAREBRIDGE_AUTH: 'off-i-understand-this-exposes-patient-data' });
 * const res = await fetch(`${s.httpUrl}/fhir/metadata`);
 * await s.stop();
 * ```
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { Writable } from 'node:stream';
import type { DatabaseKind } from '../../src/db/index.js';
import { createLogger, type Logger } from '../../src/logging/index.js';
import { allMigrations, loadConfig, startServer, type RunningServer } from '../../src/server/index.js';
import { openTestDatabase } from './db.js';

export interface TestServer extends RunningServer {
  /** Every log line the server wrote, parsed (for checks that logs hold no patient data). */
  readonly logs: Array<Record<string, unknown>>;
  readonly logger: Logger;
}

export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';

/** Every test server's log lines also land here; `scripts/check-test-logs.ts` scans them for patient data after the suite. */
export const TEST_LOG_DIR = new URL('../../test-artifacts/logs/', import.meta.url).pathname;

export async function startTestServer(kind: DatabaseKind, env: Record<string, string> = {}): Promise<TestServer> {
  const database = await openTestDatabase(kind, []);
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    MLLP_PORT: '0',
    LOG_LEVEL: 'info',
    CAREBRIDGE_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    MAPPINGS_DIR: new URL('../../mappings', import.meta.url).pathname,
    ...env,
  });
  const logs: Array<Record<string, unknown>> = [];
  mkdirSync(TEST_LOG_DIR, { recursive: true });
  const logFile = `${TEST_LOG_DIR}server-${process.pid}.jsonl`;
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      const text = chunk.toString('utf8');
      try {
        appendFileSync(logFile, text);
      } catch {
        // Another vitest run's global setup may have cleared the folder; recreate it and go on.
        mkdirSync(TEST_LOG_DIR, { recursive: true });
        appendFileSync(logFile, text);
      }
      for (const line of text.split('\n')) if (line) logs.push(JSON.parse(line) as Record<string, unknown>);
      cb();
    },
  });
  const logger = createLogger({ level: config.logLevel }, sink);
  const server = await startServer(config, logger, { database });
  return { ...server, logs, logger };
}
