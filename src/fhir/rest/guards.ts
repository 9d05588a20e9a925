/** @module Checks every handler starts with: known type, body shape, access. */
import type { Resource } from 'fhir/r4.js';
import { CarebridgeError } from '../../errors/index.js';
import type { FhirInteraction } from '../types.js';
import { isKnownResourceType } from '../validation/index.js';
import type { FhirRequest } from './types.js';

export function assertType(type: string): void {
  if (!isKnownResourceType(type)) throw new CarebridgeError('CB_ERR_FHIR_UNKNOWN_TYPE', `Unknown resource type ${type}`);
}

/** The request body as a resource of `type` (400 naming resourceType otherwise). */
export function bodyResource(req: FhirRequest, type: string): Resource {
  const body = req.body;
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw new CarebridgeError('CB_ERR_BAD_REQUEST', 'Body must be a FHIR resource (JSON object)');
  }
  const r = body as Resource;
  if (r.resourceType !== type) {
    throw new CarebridgeError('CB_ERR_BAD_REQUEST', `Body must be a ${type}`, { details: [{ expression: `${type}.resourceType`, diagnostics: `resourceType must be ${type}` }] });
  }
  return r;
}

export function assertAllowed(req: FhirRequest, interaction: FhirInteraction, type: string, resource?: Resource): void {
  if (!req.access.can(interaction, type, resource)) {
    throw new CarebridgeError('CB_ERR_AUTH_FORBIDDEN', `Not allowed: ${interaction} ${type}`);
  }
}

/** Write options common to every REST write. */
export function restSource(req: FhirRequest): { kind: 'rest'; clientId?: string } {
  return req.access.clientId ? { kind: 'rest', clientId: req.access.clientId } : { kind: 'rest' };
}
