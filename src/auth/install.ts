/**
 * @module installAuth: the one place auth is wired into the HTTP server. Called on the root
 * fastify instance BEFORE any room registers routes, so its hooks cover every route, including
 * ones added later: a route is closed unless its URL is on the short public list.
 */
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CarebridgeError, isCarebridgeError } from '../errors/index.js';
import type { Runtime } from '../server/index.js';
import { createAuditWriter, storeAuditSink, type AuditWriter } from './audit-writer.js';
import { createAuthenticator } from './authenticate.js';
import { ensureFirstAdmin } from './bootstrap.js';
import { createAssertionVerifier } from './client-assertion.js';
import { createClientRepository } from './clients.js';
import { createConsentService, type ConsentService } from './consent.js';
import type { ErasurePurger } from './erase.js';
import { loadSigningKeys } from './keys.js';
import { allowAllPolicy, policyFromScopes, type ScopePolicy } from './policy.js';
import { markEverythingAsDownload, patientRightsRoutes } from './patient-rights-routes.js';
import { auditEventFor } from './request-audit.js';
import { requirementFor, satisfies, type Requirement } from './route-access.js';
import { SMART_CONFIG_PATH, TOKEN_PATH, tokenRoutes } from './token-routes.js';
import type { TokenSettings } from './tokens.js';
import type { AccessEvent, AccessPolicy, AuthStore, Principal } from './types.js';

/** Routes answered without a token. /metrics: counts and latencies only, labels never hold patient data. */
export const PUBLIC_PATHS: readonly string[] = ['/fhir/metadata', SMART_CONFIG_PATH, TOKEN_PATH, '/healthz', '/readyz', '/metrics'];

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated caller (undefined on public routes). */
    principal?: Principal;
    /** What the coarse gate required (for the request audit). */
    authRequirement?: Requirement;
    /** The gate refused the request (403), so no handler audited it. */
    authDenied?: boolean;
  }
}

export interface RegisteredRoute {
  readonly method: string;
  readonly url: string;
}

export interface InstallAuthOptions {
  readonly runtime: Pick<Runtime, 'config' | 'database' | 'logger' | 'stoppers'>;
  /** The FHIR store (for audit events and consent). Without it audit events cannot be stored. */
  readonly store?: AuthStore;
  /** Extra public route URLs (e.g. the dashboard's static shell, whose API calls need a token). */
  readonly extraPublicPaths?: readonly string[];
  /** The intake's door for erasure: deletes one patient's raw HL7 messages (CONTRACTS §5 patientKey). */
  readonly purgePatientMessages?: (patientKey: string) => Promise<number>;
  /** Other rooms' erasure steps (e.g. outbound payloads of the patient). */
  readonly erasurePurgers?: readonly ErasurePurger[];
  /** Where first-start admin credentials are printed (default process.stdout; never the log). */
  readonly credentialsOut?: { write(s: string): unknown };
}

export interface AuthServices {
  /** Hand to the fhir plugin as FhirRoutesOptions.policyFor. */
  policyFor(request: FastifyRequest): AccessPolicy;
  /** Hand to the fhir plugin as FhirRoutesOptions.onAccess: it reports each /fhir request it handles;
   * auth itself audits /fhir requests its gate refuses, /admin requests and login failures. */
  onAccess(event: AccessEvent): void;
  readonly audit?: AuditWriter;
  readonly consent?: ConsentService;
  /** Every route registered after installAuth (for the route sweep test). */
  readonly routes: readonly RegisteredRoute[];
  readonly publicPaths: ReadonlySet<string>;
}

const DENY_ALL: ScopePolicy = policyFromScopes('anonymous', '');
const ALLOW_ALL = allowAllPolicy();
const servicesByApp = new WeakMap<FastifyInstance, AuthServices>();

/** The request's policy: the principal's, allow-all when auth is off, deny-all when anonymous. */
export function policyForRequest(request: FastifyRequest): AccessPolicy {
  return request.principal?.policy ?? DENY_ALL;
}

/** The auth services installed on an app (tests: route list; lead: wiring). */
export function authServicesOf(app: FastifyInstance): AuthServices | undefined {
  return servicesByApp.get(app);
}

export async function installAuth(app: FastifyInstance, options: InstallAuthOptions): Promise<AuthServices> {
  const { config, database, logger } = options.runtime;
  const routes: RegisteredRoute[] = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push({ method, url: route.url });
  });
  app.decorateRequest('principal', undefined);
  app.decorateRequest('authRequirement', undefined);
  app.decorateRequest('authDenied', false);

  const audit = options.store ? createAuditWriter({ sink: storeAuditSink(options.store, logger), logger }) : undefined;
  if (audit) app.addHook('onClose', async () => audit.close());
  else logger.warn('no FHIR store given to auth: audit events are not stored');
  const onAccess = (e: AccessEvent) => audit?.record(e);
  const publicPaths = new Set([...PUBLIC_PATHS, ...(options.extraPublicPaths ?? [])]);
  const services: AuthServices = {
    policyFor: policyForRequest,
    onAccess,
    audit,
    consent: options.store ? createConsentService({ store: options.store }) : undefined,
    routes,
    publicPaths,
  };
  servicesByApp.set(app, services);

  const db = database.db;
  const clients = createClientRepository(db);
  const keys = await loadSigningKeys(db);
  const issuer = config.http.publicBaseUrl?.replace(/\/$/, '') ?? 'carebridge';
  const tokens: TokenSettings = { issuer, audience: `${issuer}/fhir` };
  const authenticator = createAuthenticator({ clients, keys, tokens, adminTokenSha256: config.auth.adminTokenSha256 });

  if (!config.auth.enabled) {
    logger.warn('AUTH IS OFF (CAREBRIDGE_AUTH=off-i-understand-this-exposes-patient-data): every route is open to anyone who can reach this port');
    const anonymous: Principal = { clientId: 'auth-off', method: 'auth-off', scopes: [], policy: ALLOW_ALL };
    app.addHook('onRequest', async (request) => {
      request.principal = anonymous;
    });
  } else {
    await ensureFirstAdmin({ db, clients, logger, adminTokenSet: Boolean(config.auth.adminTokenSha256), out: options.credentialsOut ?? process.stdout });
    app.addHook('onRequest', async (request, reply) => gate(request, reply));
  }

  async function gate(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const url = request.routeOptions.url;
    if (url === undefined) return; // unmatched → the 404 handler
    // Public by route pattern, or by exact path under a wildcard route (the fhir plugin serves
    // /fhir/* — only the literal path /fhir/metadata is public there, no encodings or variants).
    if (publicPaths.has(url) || (!url.includes(':') && publicPaths.has(request.url.split('?')[0]!))) return;
    let principal: Principal | undefined;
    try {
      principal = await authenticator.authenticate(request.headers);
    } catch (err) {
      if (!isCarebridgeError(err)) throw err;
      onAccess({ interaction: 'login', status: 401, ip: request.ip });
      reply.header('www-authenticate', 'Bearer realm="carebridge", error="invalid_token"');
      throw err;
    }
    if (!principal) {
      reply.header('www-authenticate', 'Bearer realm="carebridge"');
      throw new CarebridgeError('CB_ERR_AUTH_REQUIRED');
    }
    request.principal = principal;
    const requirement = requirementFor(request.method, request.url.split('?')[0]!);
    request.authRequirement = requirement;
    if (!satisfies(principal.policy as ScopePolicy, requirement)) {
      request.authDenied = true;
      reply.header('www-authenticate', 'Bearer realm="carebridge", error="insufficient_scope"');
      throw new CarebridgeError('CB_ERR_AUTH_FORBIDDEN', `Forbidden: the token's scopes do not permit ${describe(requirement)}`);
    }
  }

  app.addHook('onResponse', async (request, reply) => {
    const event = auditEventFor(request, reply.statusCode);
    if (event) onAccess(event);
  });

  if (config.http.rateLimitPerMinute > 0) {
    await app.register(rateLimit, {
      global: true,
      max: config.http.rateLimitPerMinute,
      timeWindow: 60_000,
      // After authentication, so the limit is per client id (per address for anonymous calls).
      hook: 'preHandler',
      keyGenerator: (request) =>
        request.principal && request.principal.method !== 'auth-off' ? `client:${request.principal.clientId}` : `ip:${request.ip}`,
      allowList: (request) => request.routeOptions.url === '/healthz' || request.routeOptions.url === '/readyz',
    });
  }

  app.addHook('onSend', async (request, reply, payload) => {
    const disposition = markEverythingAsDownload(request.url, reply.statusCode);
    if (disposition) reply.header('content-disposition', disposition);
    return payload;
  });
  if (options.store) {
    await app.register(patientRightsRoutes, { db, store: options.store, purgePatientMessages: options.purgePatientMessages, purgers: options.erasurePurgers, onAccess });
  }

  const verifier = createAssertionVerifier(db, clients);
  await app.register(tokenRoutes, { verifier, keys, tokens, publicBaseUrl: config.http.publicBaseUrl?.replace(/\/$/, ''), onAccess });
  return services;
}

function describe(req: Requirement): string {
  switch (req.kind) {
    case 'fhir':
      return `${req.interaction} on ${req.resourceType}`;
    case 'fhir-system':
      return 'system-level FHIR interactions (no system/ resource scope)';
    case 'hl7v2':
      return 'HL7 v2 intake (needs carebridge/hl7v2)';
    case 'admin':
      return 'this route (needs carebridge/admin)';
  }
}
