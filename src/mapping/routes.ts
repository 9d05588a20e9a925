/**
 * @module Admin HTTP for mapping authors: POST /admin/map/preview (bundle + explain + unmapped,
 * nothing written) and GET /admin/api/mappings (registry status: loaded maps, refused files).
 * Both sit behind the admin scope (auth's global hook).
 */
import type { FastifyInstance } from 'fastify';
import { CarebridgeError, normalizeError, toOperationOutcome } from '../errors/index.js';
import type { AnyDb } from '../db/index.js';
import { getMessage, parseMessage } from '../hl7v2/index.js';
import { formatUnmapped } from './compile/unmapped.js';
import type { MappableMessage } from './hl7-shape.js';
import type { MappingRegistry } from './registry.js';

export interface MappingRoutesOptions {
  readonly registry: MappingRegistry;
  /** The inbox database, for the per-message unmapped-data report. */
  readonly db?: AnyDb;
}

const PREVIEW_BODY = {
  type: 'object',
  required: ['message'],
  additionalProperties: false,
  properties: {
    message: { type: 'string', minLength: 1, maxLength: 2_000_000 },
    mapping: { type: 'string' },
    explain: { type: 'boolean', default: true },
  },
} as const;

export async function mappingRoutes(app: FastifyInstance, o: MappingRoutesOptions): Promise<void> {
  app.post<{ Body: { message: string; mapping?: string; explain?: boolean } }>('/admin/map/preview', { schema: { body: PREVIEW_BODY } }, async (request, reply) => {
    try {
      const set = o.registry.current();
      const message = parseMessage(request.body.message) as unknown as MappableMessage;
      const result = set.mapMessage(message, { explain: request.body.explain ?? true, mapping: request.body.mapping });
      return {
        mappingId: result.mappingId,
        mappingHash: result.mappingHash,
        bundle: result.bundle,
        explain: result.explain ?? [],
        unmapped: result.unmapped.map((u) => ({ ...u, path: formatUnmapped(u) })),
        merges: result.merges,
      };
    } catch (err) {
      const e = normalizeError(err);
      // A message the preview cannot map is the author's answer, not a server fault.
      const status = e.code === 'CB_ERR_MAP_NOT_FOUND' || e.code.startsWith('CB_ERR_HL7') || e.code === 'CB_ERR_MAP_FAILED' ? 422 : e.kind.http;
      return reply.code(status).send(toOperationOutcome(e instanceof CarebridgeError ? e : err));
    }
  });
  app.get('/admin/api/mappings', async () => o.registry.status());
  // Populated v2 fields and segments of one stored message that no rule read (positions only, no values).
  if (o.db) {
    const db = o.db;
    app.get<{ Params: { id: string } }>('/admin/api/messages/:id/unmapped', async (request) => {
      const stored = await getMessage(db, request.params.id);
      if (stored.raw === null) return { id: stored.id, unmapped: [], note: 'raw body purged by retention' };
      const set = o.registry.current();
      const message = parseMessage(stored.raw) as unknown as MappableMessage;
      const h = message.header;
      if (!set.mappingFor(h.messageType, h.triggerEvent)) return { id: stored.id, unmapped: [], note: `no mapping for ${h.messageType}^${h.triggerEvent}` };
      const result = set.mapMessage(message);
      return { id: stored.id, mappingId: result.mappingId, unmapped: result.unmapped.map((u) => ({ ...u, path: formatUnmapped(u) })) };
    });
  }
}
