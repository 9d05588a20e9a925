/**
 * @module FHIR REST destination payloads: a conditional update by identifier
 * (`PUT Patient?identifier=system|value`, https://hl7.org/fhir/R4/http.html#cond-update), or the
 * same as one entry of a transaction / batch Bundle (the channel merges rows into one Bundle).
 */
import type { Bundle, BundleEntry, Identifier, Resource } from 'fhir/r4.js';
import type { OutboundPayload } from '../types.js';
import type { PayloadContext } from './payload-context.js';

/** The conditional URL for a resource: by identifier when it has one, else by id. */
export function conditionalUrl(resource: Resource, identifierSystem?: string): string {
  const ids = ((resource as { identifier?: Identifier[] | Identifier }).identifier ?? []) as Identifier[] | Identifier;
  const list = Array.isArray(ids) ? ids : [ids];
  const id = list.find((i) => i.value && (!identifierSystem || i.system === identifierSystem)) ?? (identifierSystem ? undefined : list.find((i) => i.value));
  if (!id) return `${resource.resourceType}/${resource.id}`;
  const token = id.system ? `${id.system}|${id.value}` : id.value!;
  return `${resource.resourceType}?identifier=${encodeURIComponent(token)}`;
}

/** The resource as a destination should receive it: no server-assigned id or meta of ours. */
function portable(resource: Resource): Resource {
  const { id: _id, meta: _meta, ...rest } = resource as Resource & Record<string, unknown>;
  return rest as unknown as Resource;
}

export function fhirRestPayload(ctx: PayloadContext): OutboundPayload {
  const url = conditionalUrl(ctx.change.resource, ctx.rule.payload.identifierSystem);
  const body = url.includes('?') ? portable(ctx.change.resource) : ctx.change.resource;
  const mode = ctx.rule.payload.mode ?? 'conditional-update';
  if (mode === 'conditional-update') return { kind: 'http', method: 'PUT', path: url, contentType: 'application/fhir+json', body: JSON.stringify(body) };
  const entry: BundleEntry = { resource: body as BundleEntry["resource"], request: { method: 'PUT', url } };
  const bundle: Bundle = { resourceType: 'Bundle', type: mode, entry: [entry] };
  return { kind: 'http', method: 'POST', path: '', contentType: 'application/fhir+json', body: JSON.stringify(bundle) };
}
