/**
 * A real HTTP server with only the fhir room mounted at /fhir (no other rooms' migrations or auth):
 * fast to start, and lets a test hand in its own access policy and audit sink.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { ALLOW_ALL, createFhirStore, fhirRoutes, type AccessEvent, type AccessPolicy, type FhirStore } from '../../src/fhir/index.js';
import { createLogger } from '../../src/logging/index.js';
import type { DatabaseKind } from '../../src/db/index.js';
import { openStore } from './store-helpers.js';
import type { TestDatabase } from '../helpers/db.js';

export interface FhirApp {
  readonly httpUrl: string;
  readonly store: FhirStore;
  readonly database: TestDatabase;
  readonly events: AccessEvent[];
  /** Replace the policy every following request gets. */
  policy: AccessPolicy;
  stop(): Promise<void>;
}

export async function startFhirApp(kind: DatabaseKind): Promise<FhirApp> {
  const { database } = await openStore(kind);
  const store = createFhirStore({ db: database.db, logger: createLogger({ level: 'silent' }) });
  const app: FastifyInstance = Fastify();
  const events: AccessEvent[] = [];
  const state: FhirApp = {
    httpUrl: '',
    store,
    database,
    events,
    policy: ALLOW_ALL,
    stop: async () => {
      await app.close();
      await database.close();
    },
  };
  await app.register(fhirRoutes, { prefix: '/fhir', store, policyFor: () => state.policy, onAccess: (e) => events.push(e) });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  (state as { httpUrl: string }).httpUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return state;
}
