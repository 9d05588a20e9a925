/**
 * @module Admin API under /admin/api/outbound (admin scope, enforced by the auth room's gate):
 * per-destination counts and state, pause / resume / replay, dead-letter listing and replay, rules.
 * Rows are listed without payloads: they carry patient data.
 */
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { CarebridgeError } from '../errors/index.js';
import type { AnyDb } from '../db/index.js';
import { setPaused } from './destination-state.js';
import type { OutboundService } from './outbound-service.js';
import { listOutboxMessages, replayDeadLetters } from './outbox.js';
import { OUTBOX_STATUSES, type OutboxStatus } from './types.js';

export interface OutboundAdminOptions {
  readonly db: AnyDb;
  readonly outbound: OutboundService;
}

export const outboundAdminRoutes: FastifyPluginAsync<OutboundAdminOptions> = async (app: FastifyInstance, { db, outbound }) => {
  const known = async (name: string) => {
    if (!(await outbound.status()).some((d) => d.name === name)) throw new CarebridgeError('CB_ERR_NOT_FOUND', `unknown outbound destination "${name}"`);
  };

  app.get('/admin/api/outbound/destinations', async () => ({ destinations: await outbound.status() }));

  app.post<{ Params: { name: string }; Body: { reason?: string } | undefined }>('/admin/api/outbound/destinations/:name/pause', async (req) => {
    await known(req.params.name);
    await setPaused(db, req.params.name, true, req.body?.reason);
    return { destination: req.params.name, paused: true };
  });

  app.post<{ Params: { name: string } }>('/admin/api/outbound/destinations/:name/resume', async (req) => {
    await known(req.params.name);
    await setPaused(db, req.params.name, false);
    outbound.worker.wake();
    return { destination: req.params.name, paused: false };
  });

  app.post<{ Params: { name: string } }>('/admin/api/outbound/destinations/:name/replay', async (req) => {
    await known(req.params.name);
    const ids = await replayAll(db, { destination: req.params.name });
    outbound.worker.wake();
    return { destination: req.params.name, replayed: ids.length };
  });

  app.get<{ Querystring: { destination?: string; status?: string; afterId?: string; limit?: string } }>('/admin/api/outbound/messages', async (req) => {
    const status = (req.query.status ?? 'dead') as OutboxStatus;
    if (!OUTBOX_STATUSES.includes(status)) throw new CarebridgeError('CB_ERR_BAD_REQUEST', `status must be one of ${OUTBOX_STATUSES.join(', ')}`);
    const messages = await listOutboxMessages(db, {
      destination: req.query.destination,
      status,
      afterId: req.query.afterId ? Number(req.query.afterId) : undefined,
      limit: req.query.limit ? Number(req.query.limit) : 100,
    });
    return { messages, next: messages.length ? messages[messages.length - 1]!.id : undefined };
  });

  app.get<{ Querystring: { destination?: string; afterId?: string; limit?: string } }>('/admin/api/outbound/dead-letters', async (req) => {
    const messages = await listOutboxMessages(db, { destination: req.query.destination, status: 'dead', afterId: req.query.afterId ? Number(req.query.afterId) : undefined, limit: req.query.limit ? Number(req.query.limit) : 100 });
    return { messages };
  });

  app.post<{ Body: { ids?: number[]; destination?: string } | undefined }>('/admin/api/outbound/dead-letters/replay', async (req) => {
    const ids = req.body?.ids;
    if (!ids?.length && !req.body?.destination) throw new CarebridgeError('CB_ERR_BAD_REQUEST', 'give ids or a destination');
    if (ids && !ids.every((i) => Number.isSafeInteger(i))) throw new CarebridgeError('CB_ERR_BAD_REQUEST', 'ids must be integers');
    const replayed = ids?.length ? await replayDeadLetters(db, { ids, now: new Date(), limit: ids.length }) : await replayAll(db, { destination: req.body!.destination! });
    outbound.worker.wake();
    return { replayed: replayed.length, ids: replayed.slice(0, 1000) };
  });

  app.get('/admin/api/outbound/rules', async () => {
    const set = outbound.rules.current();
    return {
      hash: set.hash,
      loadedAt: set.loadedAt.toISOString(),
      lastError: outbound.rules.lastError(),
      destinations: set.destinations.map((d) => ({ name: d.name, channel: d.channel, enabled: d.enabled, disabledReason: d.disabledReason, file: d.file })),
      rules: set.rules.map((r) => ({ id: r.id, destination: r.destination, resourceType: r.resourceType, event: r.event, format: r.payload.format, file: r.file, line: r.line })),
    };
  });
};

async function replayAll(db: AnyDb, o: { destination: string }): Promise<number[]> {
  const all: number[] = [];
  for (;;) {
    const ids = await replayDeadLetters(db, { destination: o.destination, now: new Date(), limit: 500 });
    all.push(...ids);
    if (ids.length < 500) return all;
  }
}
