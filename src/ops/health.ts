/**
 * @module /healthz (the process is up) and /readyz (database reachable, migrations applied,
 * and every readiness check a room registered passes).
 */
import type { FastifyPluginAsync } from 'fastify';
import { isReachable, pendingMigrations, type AnyDb, type Migration } from '../db/index.js';

export interface ReadinessCheck {
  readonly name: string;
  check(): Promise<{ ok: boolean; detail?: string }>;
}

export interface HealthRoutesOptions {
  readonly runtime: { readonly database: { readonly db: AnyDb }; readonly migrations: readonly Migration[] };
  readonly checks?: readonly ReadinessCheck[];
}

export const healthRoutes: FastifyPluginAsync<HealthRoutesOptions> = async (app, { runtime, checks = [] }) => {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const results: Record<string, { ok: boolean; detail?: string }> = {};
    const reachable = await isReachable(runtime.database.db);
    results.database = { ok: reachable };
    if (reachable) {
      const pending = await pendingMigrations(runtime.database.db, runtime.migrations).catch(() => ['(unknown)']);
      results.migrations = pending.length ? { ok: false, detail: `pending: ${pending.join(', ')}` } : { ok: true };
    } else {
      results.migrations = { ok: false, detail: 'database unreachable' };
    }
    for (const c of checks) results[c.name] = await c.check().catch((e: Error) => ({ ok: false, detail: e.message }));
    const ok = Object.values(results).every((r) => r.ok);
    return reply.status(ok ? 200 : 503).send({ status: ok ? 'ready' : 'not ready', checks: results });
  });
};
