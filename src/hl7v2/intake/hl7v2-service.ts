/**
 * @module The intake assembled for the composition root: MLLP listener, inbox writer, processing
 * worker, HTTP and admin routes, and a graceful stop (stop accepting, answer in-flight, close).
 *
 * ```ts
 * const hl7 = createHl7v2Service({ db, logger, metrics, mllp, intake });
 * const port = await hl7.startMllp();      // undefined when MLLP_PORT=-1
 * hl7.startWorker();
 * await app.register(hl7.httpRoutes, hl7.httpRoutesOptions);
 * await hl7.stop();
 * ```
 */
import type { FastifyPluginAsync } from 'fastify';
import type { AnyDb } from '../../db/index.js';
import type { Logger } from '../../logging/index.js';
import type { Metrics } from '../../metrics/index.js';
import { MllpServer, type MllpTlsOptions } from '../mllp/index.js';
import { hl7AdminRoutes, type Hl7AdminRoutesOptions } from './admin-routes.js';
import { hl7HttpRoutes, type Hl7HttpRoutesOptions } from './http-routes.js';
import { Intake } from './intake.js';
import { loadSenderDirectory, type SenderDirectory } from './senders.js';
import { unmappedProcessor, type MessageProcessor } from './types.js';
import { createInboxWorker, type InboxWorker } from './worker.js';

export interface Hl7v2ServiceOptions {
  readonly db: AnyDb;
  readonly logger: Logger;
  readonly metrics?: Metrics;
  /** The mapping room's processor; default marks every message unmapped. Replaceable later. */
  readonly processor?: MessageProcessor;
  readonly mllp: {
    readonly port: number;
    readonly host: string;
    readonly maxFrameBytes: number;
    readonly idleTimeoutMs: number;
    readonly frameTimeoutMs: number;
    readonly tls?: MllpTlsOptions;
  };
  readonly intake: {
    readonly dedupWindowDays: number;
    readonly rawRetentionDays: number;
    readonly sendersFile?: string;
    readonly maxAttempts: number;
    readonly backoffMs: number;
  };
  /** Test seam: a ready-made sender directory instead of the file. */
  readonly senders?: SenderDirectory;
}

export interface Hl7v2Service {
  readonly intake: Intake;
  readonly worker: InboxWorker;
  readonly senders: SenderDirectory;
  readonly httpRoutes: FastifyPluginAsync<Hl7HttpRoutesOptions>;
  readonly httpRoutesOptions: Hl7HttpRoutesOptions;
  readonly adminRoutes: FastifyPluginAsync<Hl7AdminRoutesOptions>;
  readonly adminRoutesOptions: Hl7AdminRoutesOptions;
  /** Wire the mapping room's processor (composition root). */
  setProcessor(processor: MessageProcessor): void;
  /** Starts the MLLP listener; resolves with the bound port, or undefined when disabled (port -1). */
  startMllp(): Promise<number | undefined>;
  startWorker(): void;
  /** Graceful: stop accepting MLLP, answer frames in flight, flush writes, stop the worker. */
  stop(): Promise<void>;
}

export function createHl7v2Service(options: Hl7v2ServiceOptions): Hl7v2Service {
  const { db, logger, metrics } = options;
  const senders = options.senders ?? loadSenderDirectory(options.intake.sendersFile);
  let processor = options.processor ?? unmappedProcessor;
  const processing = {
    db,
    logger,
    metrics,
    // Read through a getter so a processor wired later is the one used.
    get processor() {
      return processor;
    },
    maxAttempts: options.intake.maxAttempts,
    backoffMs: options.intake.backoffMs,
    charsetFor: (row: { sending_application: string; sending_facility: string }) => senders.policyFor(row.sending_application, row.sending_facility, undefined)?.charset,
  };
  const worker = createInboxWorker({ ...processing, get processor() { return processor; }, dedupWindowDays: options.intake.dedupWindowDays, rawRetentionDays: options.intake.rawRetentionDays });
  const intake = new Intake({ ...processing, get processor() { return processor; }, senders, onStored: () => worker.wake() });
  let mllp: MllpServer | undefined;

  return {
    intake,
    worker,
    senders,
    httpRoutes: hl7HttpRoutes,
    httpRoutesOptions: { intake, senders },
    adminRoutes: hl7AdminRoutes,
    adminRoutesOptions: { db, onReplay: () => worker.wake() },
    setProcessor(p) {
      processor = p;
    },
    async startMllp() {
      const { port, host, maxFrameBytes, idleTimeoutMs, frameTimeoutMs, tls } = options.mllp;
      if (port < 0) return undefined;
      mllp = new MllpServer({
        logger,
        maxFrameBytes,
        idleTimeoutMs,
        frameTimeoutMs,
        tls,
        allowPeer: (address) => senders.allowsPeer(address),
        handler: async (payload, { connection, receivedAt }) => {
          await intake.receive(payload, { transport: 'mllp', peer: connection.peer, remoteAddress: connection.remoteAddress, startedAt: receivedAt }, (ack) => connection.send(ack));
          return undefined;
        },
      });
      const bound = await mllp.listen(port, host);
      logger.info({ mllpPort: bound, tls: Boolean(tls) }, 'mllp listener started');
      return bound;
    },
    startWorker() {
      worker.start();
    },
    async stop() {
      await mllp?.close();
      await intake.stop();
      await worker.stop();
    },
  };
}
