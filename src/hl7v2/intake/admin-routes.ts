/**
 * @module Admin JSON API over the inbox (under /admin/api; the security room's hook guards it).
 *
 * - `GET  /admin/api/messages?controlId=&sender=&type=&status=&patient=&since=&until=&limit=` → `{ items }`
 * - `GET  /admin/api/messages/:id[?reveal=true]` → one message with raw (patient data masked unless reveal), ack, error
 * - `POST /admin/api/messages/:id/replay` → `{ id, status: 'received' }`
 * - `POST /admin/api/messages/replay` with `{ ids: [...] }` or `{ filter: {...} }` → `{ replayed, ids }`
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { CarebridgeError } from '../../errors/index.js';
import type { AnyDb } from '../../db/index.js';
import { getMessage, parseMessageFilter, replayMessages, replayOne, searchMessages } from './inbox-queries.js';
import { maskPatientData } from './mask.js';
import { inboxFlow } from './flow.js';

export interface Hl7AdminRoutesOptions {
  readonly db: AnyDb;
  /** Wakes the worker after a replay. */
  readonly onReplay?: () => void;
  /** Audit hook for `?reveal=true` (the security room's audit writer). */
  readonly onReveal?: (request: FastifyRequest, inboxId: string) => void;
}

const REPLAY_SELECTION_MAX = 10_000;

export const hl7AdminRoutes: FastifyPluginAsync<Hl7AdminRoutesOptions> = async (app, { db, onReplay, onReveal }) => {
  app.get('/admin/api/messages', async (request) => {
    const filter = parseMessageFilter(request.query as Record<string, string | undefined>);
    return { items: await searchMessages(db, filter) };
  });

  app.get('/admin/api/flow', async (request) => {
    const minutes = Number((request.query as { minutes?: string }).minutes ?? 60);
    if (!Number.isInteger(minutes) || minutes < 1 || minutes > 7 * 24 * 60) throw new CarebridgeError('CB_ERR_BAD_REQUEST', 'minutes must be an integer 1–10080');
    return inboxFlow(db, minutes);
  });

  app.get<{ Params: { id: string }; Querystring: { reveal?: string } }>('/admin/api/messages/:id', async (request) => {
    const message = await getMessage(db, request.params.id);
    const reveal = request.query.reveal === 'true';
    request.logIds = [`inbox/${message.id}`];
    if (reveal) {
      request.log.info({ inboxId: message.id, controlId: message.controlId }, 'inbox message revealed');
      onReveal?.(request, message.id);
      return { ...message, masked: false };
    }
    return { ...message, raw: message.raw === null ? null : maskPatientData(message.raw), masked: message.raw !== null };
  });

  app.post<{ Params: { id: string } }>('/admin/api/messages/:id/replay', async (request) => {
    await replayOne(db, request.params.id);
    request.log.info({ inboxId: request.params.id }, 'inbox message replay requested');
    onReplay?.();
    return { id: request.params.id, status: 'received' };
  });

  app.post('/admin/api/messages/replay', async (request) => {
    const body = (request.body ?? {}) as { ids?: unknown; filter?: Record<string, string> };
    let ids: number[];
    if (Array.isArray(body.ids)) {
      ids = body.ids.map((v) => Number(v));
      if (ids.some((n) => !Number.isSafeInteger(n) || n <= 0)) throw new CarebridgeError('CB_ERR_BAD_REQUEST', 'ids must be inbox message ids');
    } else if (body.filter && typeof body.filter === 'object') {
      const filter = parseMessageFilter(body.filter);
      ids = (await searchMessages(db, { ...filter, limit: Math.min(filter.limit ?? REPLAY_SELECTION_MAX, REPLAY_SELECTION_MAX) })).map((m) => Number(m.id));
    } else {
      throw new CarebridgeError('CB_ERR_BAD_REQUEST', 'body must be { "ids": [...] } or { "filter": { ... } }');
    }
    const replayed = await replayMessages(db, ids);
    request.log.info({ count: replayed.length }, 'inbox replay requested');
    onReplay?.();
    return { replayed: replayed.length, ids: replayed.map(String) };
  });
};
