/**
 * A real fastify server with only auth installed plus a few routes shaped like the FHIR and admin
 * routes, on a random loopback port and a fresh database. Used to test the gate and the token
 * endpoint without depending on other rooms' routes (the full-server sweep is route-sweep.test.ts).
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { Writable } from 'node:stream';
import type { DatabaseKind } from '../../src/db/index.js';
import { toOperationOutcome, normalizeError } from '../../src/errors/index.js';
import { createLogger } from '../../src/logging/index.js';
import { authMigrations, installAuth, type AuthServices, type AuthStore } from '../../src/auth/index.js';
import { loadConfig } from '../../src/server/index.js';
import { openTestDatabase, type TestDatabase } from '../helpers/db.js';

export const ADMIN = 'auth-test-admin-token-0123456789';

export interface AuthApp {
  readonly url: string;
  readonly app: FastifyInstance;
  readonly database: TestDatabase;
  readonly services: AuthServices;
  readonly logs: Array<Record<string, unknown>>;
  readonly printed: string[];
  close(): Promise<void>;
}

export async function startAuthApp(kind: DatabaseKind, env: Record<string, string> = {}, store?: AuthStore): Promise<AuthApp> {
  const database = await openTestDatabase(kind, authMigrations);
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', CAREBRIDGE_ADMIN_TOKEN: ADMIN, ...env });
  const logs: Array<Record<string, unknown>> = [];
  const logger = createLogger(
    { level: 'info' },
    new Writable({
      write(chunk: Buffer, _e, cb) {
        for (const l of chunk.toString().split('\n')) if (l) logs.push(JSON.parse(l) as Record<string, unknown>);
        cb();
      },
    }),
  );
  const printed: string[] = [];
  const app = Fastify({ loggerInstance: logger as FastifyBaseLogger });
  app.setErrorHandler(async (err, _req, reply) => reply.status(normalizeError(err).kind.http).type('application/fhir+json').send(toOperationOutcome(err)));
  const services = await installAuth(app, {
    runtime: { config, database, logger, stoppers: [] },
    store,
    credentialsOut: { write: (s: string) => printed.push(s) },
  });
  app.get('/fhir/metadata', async () => ({ resourceType: 'CapabilityStatement' }));
  app.get('/fhir/:type/:id', async (req) => ({ ok: true, clientId: req.principal?.clientId }));
  app.get('/fhir/:type', async () => ({ resourceType: 'Bundle' }));
  app.post('/fhir/:type', async () => ({ created: true }));
  app.get('/admin/api/clients', async () => ({ admin: true }));
  app.get('/newly-added', async () => ({ open: 'should not be' }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    app,
    database,
    services,
    logs,
    printed,
    close: async () => {
      await app.close();
      await database.close();
    },
  };
}
