/**
 * @module The one fastify adapter for the FHIR REST API. Handlers are framework-free functions
 * `(FhirRequest, store) => FhirResponse` (rest/*-handlers.ts); this file turns a fastify request into
 * a FhirRequest, the answer into a reply, every error into an OperationOutcome, and reports each
 * request once to `onAccess` (audit).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CarebridgeError, normalizeError, toOperationOutcome } from '../../errors/index.js';
import type { AccessEvent, AccessPolicy, FhirStore } from '../types.js';
import { routeRequest } from './router.js';
import type { FhirAudit, FhirMethod, FhirRequest } from './types.js';

export interface FhirRoutesOptions {
  store: FhirStore;
  /** e.g. `http://host:port/fhir`; derived from the request when absent. */
  baseUrl?: string;
  /** Auth supplies; default allow-all when auth is off. */
  policyFor(request: FastifyRequest): AccessPolicy;
  /** Auth's audit writer; called once per request. */
  onAccess?(event: AccessEvent): void;
}

const FHIR_JSON = 'application/fhir+json; charset=utf-8';
const PLAIN_JSON = 'application/json; charset=utf-8';

/** Response media type from `_format` / Accept: JSON flavours only (XML → 406). */
function responseType(request: FastifyRequest, format: string | null): string {
  const wanted = (format ?? request.headers.accept ?? '').toLowerCase();
  if (!wanted || wanted.includes('fhir+json') || wanted.includes('json+fhir') || wanted === 'json' || wanted.includes('*/*')) return FHIR_JSON;
  if (wanted.includes('application/json')) return PLAIN_JSON;
  if (wanted.includes('xml') || format) throw new CarebridgeError('CB_ERR_NOT_ACCEPTABLE', 'Only JSON is supported (application/fhir+json)');
  return FHIR_JSON;
}

/**
 * Text that could hold a `__proto__` or `constructor` key, spelled out or with \u escapes. Only such
 * bodies pay for the reviver, which made parsing a Patient ~4x slower.
 */
const MAY_HOLD_PROTO_KEYS = /proto|constructor|\\u/;

/** JSON.parse reviver refusing prototype pollution keys (fastify's secure-json-parse does the same). */
function rejectProtoKeys(key: string, value: unknown): unknown {
  if (key === '__proto__' || key === 'constructor') throw new CarebridgeError('CB_ERR_BAD_REQUEST', `Forbidden JSON key ${key}`);
  return value;
}

export async function fhirRoutes(app: FastifyInstance, options: FhirRoutesOptions): Promise<void> {
  // Own JSON parsers so a malformed body is a 400 OperationOutcome naming the problem (fastify's
  // default parser error is not one the shared error normaliser maps).
  const jsonTypes = ['application/json', 'application/fhir+json', 'application/json+fhir'];
  app.removeContentTypeParser(jsonTypes.filter((t) => app.hasContentTypeParser(t)));
  app.addContentTypeParser(jsonTypes, { parseAs: 'string' }, (_req, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, (MAY_HOLD_PROTO_KEYS.test(text) ? JSON.parse(text, rejectProtoKeys) : JSON.parse(text)) as unknown);
    } catch (err) {
      done(err instanceof CarebridgeError ? err : new CarebridgeError('CB_ERR_BAD_REQUEST', 'Body is not valid JSON'), undefined);
    }
  });
  // POST [type]/_search sends its parameters as a form.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => done(null, body));

  const handle = async (request: FastifyRequest, reply: FastifyReply) => {
    const policy = options.policyFor(request);
    const url = new URL(request.url, 'http://localhost');
    const wildcard = (request.params as { '*'?: string })['*'] ?? '';
    const path = wildcard.split('/').filter(Boolean).map((s) => decodeURIComponent(s));
    const baseUrl = options.baseUrl ?? `${request.protocol}://${request.host}/fhir`;
    const audit: FhirAudit = { interaction: 'read', resourceType: path[0] && !path[0].startsWith('_') && path[0] !== 'metadata' ? path[0] : undefined };
    let status = 500;
    try {
      const contentType = responseType(request, url.searchParams.get('_format'));
      const route = routeRequest(request.method as FhirMethod, path, url.search.length > 1);
      audit.interaction = route.interaction;
      const req: FhirRequest = {
        method: request.method as FhirMethod,
        path,
        query: url.searchParams,
        body: request.body,
        headers: request.headers as Record<string, string | undefined>,
        baseUrl,
        access: policy,
      };
      const res = await route.handler(req, options.store, audit);
      status = res.status;
      if (audit.resourceType && audit.id) request.logIds = [`${audit.resourceType}/${audit.id}`];
      reply.status(res.status);
      if (res.headers) reply.headers(res.headers);
      return res.body === undefined ? reply.send() : reply.type(contentType).send(res.body);
    } catch (err) {
      const e = normalizeError(err);
      status = e.kind.http;
      if (status >= 500) request.log.error({ code: e.code, err: e.cause ?? e }, 'fhir request failed');
      return reply.status(status).type(FHIR_JSON).send(toOperationOutcome(e));
    } finally {
      options.onAccess?.({ ...audit, status, clientId: policy.clientId, ip: request.ip });
    }
  };

  // Errors before a handler runs (body parsing, size limits, media type) are OperationOutcomes too.
  app.setErrorHandler(async (err, request, reply) => {
    const e = normalizeError(err);
    if (e.kind.http >= 500) request.log.error({ code: e.code, err: e.cause ?? e }, 'fhir request failed');
    const interaction = request.method === 'POST' ? 'create' : request.method === 'PUT' ? 'update' : request.method === 'DELETE' ? 'delete' : 'read';
    options.onAccess?.({ interaction, status: e.kind.http, ip: request.ip });
    return reply.status(e.kind.http).type(FHIR_JSON).send(toOperationOutcome(e));
  });

  const methods = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'];
  app.route({ method: methods, url: '/', handler: handle });
  app.route({ method: methods, url: '/*', handler: handle });
}
