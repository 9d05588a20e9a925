/**
 * @module `PlanDefinition/[id]/$apply` (http://hl7.org/fhir/R4/plandefinition-operation-apply.html)
 * for the care-plan definitions: enrols a patient by hand. Unlike the base spec the CarePlan is
 * persisted with its activities scheduled — that is what an enrolment through the API is for.
 * Inputs: `subject` (Patient reference, required), `anchor` (dateTime the offsets count from;
 * carebridge extension parameter, default now), as query parameters or a Parameters body.
 */
import type { Parameters } from 'fhir/r4.js';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { CarebridgeError, normalizeError, toOperationOutcome } from '../errors/index.js';
import type { AccessEvent, AccessPolicy } from '../fhir/index.js';
import type { CareplanService } from './careplan-service.js';

export interface ApplyRequest {
  readonly id: string;
  readonly query: URLSearchParams;
  readonly body?: unknown;
  readonly access: AccessPolicy;
}

function param(body: unknown, name: string): string | undefined {
  if (!body || typeof body !== 'object' || (body as Parameters).resourceType !== 'Parameters') return undefined;
  const p = (body as Parameters).parameter?.find((x) => x.name === name);
  return p?.valueReference?.reference ?? p?.valueString ?? p?.valueDateTime ?? p?.valueInstant;
}

/** Framework-free handler: the CarePlan (201 when new, 200 when it existed). */
export async function planDefinitionApply(service: CareplanService, req: ApplyRequest, now: Date): Promise<{ status: number; body: unknown }> {
  if (!req.access.can('operation', 'PlanDefinition') || !req.access.can('create', 'CarePlan')) {
    throw new CarebridgeError('CB_ERR_AUTH_FORBIDDEN', 'PlanDefinition/$apply needs operation on PlanDefinition and create on CarePlan');
  }
  const subject = req.query.get('subject') ?? param(req.body, 'subject');
  if (!subject) throw new CarebridgeError('CB_ERR_BAD_REQUEST', 'subject is required', { details: [{ expression: 'Parameters.parameter.subject', diagnostics: 'subject is required' }] });
  const anchorText = req.query.get('anchor') ?? param(req.body, 'anchor');
  const anchor = anchorText ? new Date(anchorText) : now;
  if (Number.isNaN(anchor.getTime())) throw new CarebridgeError('CB_ERR_BAD_REQUEST', 'anchor must be a dateTime', { details: [{ expression: 'Parameters.parameter.anchor', diagnostics: 'not a dateTime' }] });
  const { careplan, created } = await service.apply(req.id, subject, anchor);
  return { status: created ? 201 : 200, body: careplan };
}

export interface CareplanRoutesOptions {
  readonly service: CareplanService;
  readonly policyFor: (request: FastifyRequest) => AccessPolicy;
  /** Auth's audit writer (the FHIR plugin's convention: one event per request). */
  readonly onAccess?: (event: AccessEvent) => void;
  readonly now?: () => Date;
}

/**
 * Registers `POST /fhir/PlanDefinition/:id/$apply` (more specific than the FHIR plugin's wildcard)
 * and the dashboard's `GET /admin/api/care/summary` (admin scope, enforced by auth's global hook).
 */
export async function careplanRoutes(app: FastifyInstance, o: CareplanRoutesOptions): Promise<void> {
  app.get('/admin/api/care/summary', async () => o.service.summary());

  app.post('/fhir/PlanDefinition/:id/$apply', async (request, reply) => {
    const { id } = request.params as { id: string };
    const policy = o.policyFor(request);
    let status = 500;
    try {
      const url = new URL(request.url, 'http://localhost');
      const res = await planDefinitionApply(o.service, { id, query: url.searchParams, body: request.body, access: policy }, o.now?.() ?? new Date());
      status = res.status;
      request.logIds = [`PlanDefinition/${id}`];
      return reply.status(res.status).type('application/fhir+json; charset=utf-8').send(res.body);
    } catch (err) {
      const e = normalizeError(err);
      status = e.kind.http;
      if (status >= 500) request.log.error({ code: e.code, err: e.cause ?? e }, 'PlanDefinition/$apply failed');
      return reply.status(status).type('application/fhir+json; charset=utf-8').send(toOperationOutcome(e));
    } finally {
      o.onAccess?.({ interaction: 'operation', resourceType: 'PlanDefinition', id, query: '$apply', status, clientId: policy.clientId, ip: request.ip });
    }
  });
}
