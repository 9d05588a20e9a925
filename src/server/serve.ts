/**
 * @module Starts carebridge: config → runtime (database + migrations) → HTTP app → listeners and
 * background workers; stops them in reverse on SIGTERM/SIGINT.
 */
import type { FastifyInstance } from 'fastify';
import type { Database } from '../db/index.js';
import { createLogger, type Logger } from '../logging/index.js';
import { buildApp } from './app.js';
import { loadConfig, type Config } from './config.js';
import { closeRuntime, createRuntime, type Runtime } from './runtime.js';

export interface RunningServer {
  readonly app: FastifyInstance;
  readonly runtime: Runtime;
  readonly httpUrl: string;
  /** Bound MLLP port (undefined when MLLP_PORT=-1). */
  readonly mllpPort: number | undefined;
  /** Graceful stop: stop accepting, finish in-flight work, flush, close the database. */
  stop(): Promise<void>;
}

export interface StartServerOptions {
  /** An already-open database (tests); otherwise opened from config. */
  readonly database?: Database;
}

export async function startServer(config: Config, logger: Logger, options: StartServerOptions = {}): Promise<RunningServer> {
  const runtime = await createRuntime({ config, logger, database: options.database });
  let app: FastifyInstance | undefined;
  let mllpPort: number | undefined;
  try {
    app = await buildApp({ runtime, logger });
    await app.listen({ port: config.http.port, host: config.http.host });
    mllpPort = await runtime.hl7v2.startMllp();
    if (config.workers) runtime.hl7v2.startWorker();
    // Care-plan planner (change-feed consumer) + node-cron scheduler; stopped by closeRuntime.
    if (config.workers) runtime.careplans.startWorkers();
    // Outbound change-feed consumer + outbox delivery workers; stopped by closeRuntime.
    if (config.workers) runtime.outbound.start();
  } catch (err) {
    await runtime.hl7v2.stop();
    await app?.close();
    await closeRuntime(runtime);
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.http.port;
  const shownHost = config.http.host === '0.0.0.0' || config.http.host === '::' ? '127.0.0.1' : config.http.host;
  const httpUrl = `${config.http.tls ? 'https' : 'http'}://${shownHost}:${port}`;
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      logger.info('shutting down');
      // HL7 first: stop accepting MLLP, answer frames in flight, then stop the worker.
      await runtime.hl7v2.stop();
      await closeHttp(app, HTTP_CLOSE_GRACE_MS);
      await closeRuntime(runtime);
      logger.info('stopped');
    })());
  return { app, runtime, httpUrl, mllpPort, stop };
}

/** How long a stop lets requests in flight finish before it cuts their connections. */
const HTTP_CLOSE_GRACE_MS = 10_000;

/**
 * Node closes idle keep-alive connections once, when close starts. A connection that becomes idle
 * later — a response sent before its request body was read (an early 401 or 413) drains the
 * body first — would hold the close open for the whole keep-alive timeout (72 s), so idle
 * connections are swept until close ends and whatever is left is cut after the grace period.
 */
async function closeHttp(app: FastifyInstance, graceMs: number): Promise<void> {
  const closing = app.close();
  const sweep = setInterval(() => app.server.closeIdleConnections(), 100);
  const cut = setTimeout(() => app.server.closeAllConnections(), graceMs);
  try {
    await closing;
  } finally {
    clearInterval(sweep);
    clearTimeout(cut);
  }
}

/** `npm start` / `carebridge serve`: exits with one line on a configuration or migration error. */
export async function serveFromEnvironment(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (err) {
    process.stderr.write(`carebridge: ${(err as Error).message}\n`);
    process.exit(1);
  }
  const logger = createLogger({ level: config.logLevel });
  let server: RunningServer;
  try {
    server = await startServer(config, logger);
  } catch (err) {
    logger.fatal({ err: { message: (err as Error).message, code: (err as { code?: string }).code } }, 'start failed');
    process.stderr.write(`carebridge: start failed: ${(err as Error).message}\n`);
    process.exit(1);
  }
  logger.info({ fhir: `${server.httpUrl}/fhir`, admin: `${server.httpUrl}/admin`, mllpPort: server.mllpPort, database: server.runtime.database.kind }, 'carebridge ready');
  const onSignal = (signal: string) => {
    logger.info({ signal }, 'signal received');
    server.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  process.once('SIGINT', () => onSignal('SIGINT'));
}
