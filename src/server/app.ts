/**
 * @module The fastify application: error → OperationOutcome in one place, request logs without
 * bodies, and each room registered as its own plugin.
 */
import { readFileSync } from 'node:fs';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import { normalizeError, toOperationOutcome, CarebridgeError } from '../errors/index.js';
import { unredactedSibling, type Logger } from '../logging/index.js';
import type { Config } from './config.js';
import type { Runtime } from './runtime.js';
import { registerRooms } from './routes.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Resource ids a handler touched, for the request log line (ids only, never content). */
    logIds?: string[];
  }
}

export interface AppOptions {
  readonly runtime: Runtime;
  readonly logger: Logger;
}

const FHIR_JSON = ['application/fhir+json', 'application/json+fhir'];

/**
 * TLS on the HTTP port. With a client CA the certificate is asked for but not demanded at the
 * handshake: FHIR and admin callers authenticate with tokens, while POST /hl7v2 (which has no token)
 * refuses a request without a certificate the CA signed.
 */
function httpsOptions(tls: Config['http']['tls']): { https?: { cert: Buffer; key: Buffer; ca?: Buffer; requestCert?: boolean; rejectUnauthorized?: boolean } } {
  if (!tls) return {};
  return {
    https: {
      cert: readFileSync(tls.certFile),
      key: readFileSync(tls.keyFile),
      ...(tls.caFile ? { ca: readFileSync(tls.caFile), requestCert: true, rejectUnauthorized: false } : {}),
    },
  };
}

export async function buildApp({ runtime, logger }: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    ...httpsOptions(runtime.config.http.tls),
    loggerInstance: logger as FastifyBaseLogger,
    // Fastify's own request lines carry the URL (query strings can hold identifiers); ours below do not.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: runtime.config.http.bodyLimit,
    trustProxy: false,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 500 },
  });

  app.addContentTypeParser(FHIR_JSON, { parseAs: 'string' }, app.getDefaultJsonParser('error', 'error'));

  // The request line holds only the fields below (never the URL, headers or a body), so it skips
  // the redaction pass: the same line as request.log would write, for ~9 µs less a request.
  const requestLines = unredactedSibling(logger);
  app.addHook('onResponse', async (request: FastifyRequest, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    runtime.metrics.httpRequests.inc({ method: request.method, route, status: String(reply.statusCode) });
    runtime.metrics.httpDuration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
    requestLines.info(
      {
        reqId: request.id,
        method: request.method,
        route,
        status: reply.statusCode,
        durationMs: Math.round(reply.elapsedTime * 100) / 100,
        ...(request.logIds?.length ? { ids: request.logIds } : {}),
      },
      'request',
    );
  });

  app.setErrorHandler(async (err, request, reply) => {
    const e = normalizeError(err);
    if (e.kind.http >= 500) request.log.error({ code: e.code, err: e.cause ?? e }, 'request failed');
    else request.log.debug({ code: e.code }, 'request rejected');
    return reply
      .status(e.kind.http)
      .type('application/fhir+json; charset=utf-8')
      .send(toOperationOutcome(e));
  });

  app.setNotFoundHandler(async (request, reply) => {
    const e = new CarebridgeError('CB_ERR_NOT_FOUND', `No route for ${request.method} ${request.url.split('?')[0]}`);
    return reply.status(404).type('application/fhir+json; charset=utf-8').send(toOperationOutcome(e));
  });

  await registerRooms(app, runtime);
  return app;
}
