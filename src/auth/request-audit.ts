/**
 * @module AccessEvents taken at the HTTP layer: every authenticated admin request, and every
 * /fhir request the gate refused (the fhir plugin reports the ones its handlers serve through
 * onAccess). Path ids and the query string go in; bodies never do (query values are digested by
 * toAuditEvent).
 */
import type { FastifyRequest } from 'fastify';
import type { AccessEvent } from './types.js';

const TYPE = /^[A-Z][A-Za-z]+$/;

export function auditEventFor(request: FastifyRequest, status: number): AccessEvent | undefined {
  const requirement = request.authRequirement;
  if (!requirement || !request.principal) return undefined;
  const base = { status, clientId: request.principal.clientId, ip: request.ip };
  const [path, query] = splitUrl(request.url);
  if (path.startsWith('/fhir')) {
    const seg = path.slice('/fhir'.length).split('/').filter(Boolean);
    const op = seg.find((s) => s.startsWith('$'));
    // Served requests are reported by the fhir plugin; a patient-data export gets its own
    // 'export' record on top, so data-rights exports can be found as such.
    if (!request.authDenied && op !== '$everything' && op !== '$export') return undefined;
    const resourceType = seg[0] && TYPE.test(seg[0]) ? seg[0] : undefined;
    const id = seg[1] && !seg[1].startsWith('_') && !seg[1].startsWith('$') ? seg[1] : undefined;
    let interaction: AccessEvent['interaction'] = requirement.kind === 'fhir' ? requirement.interaction : request.method === 'POST' ? 'operation' : 'search';
    if (op === '$everything' || op === '$export') interaction = 'export';
    if (op === '$erase') interaction = 'erase';
    return { ...base, interaction, resourceType, id, ...(query ? { query } : {}) };
  }
  if (requirement.kind === 'admin') {
    // Parameter names only (e.g. `?reveal`): admin queries are not digested, so no values here.
    const names = [...new Set(new URLSearchParams(query).keys())];
    return { ...base, interaction: 'admin', query: `${request.method} ${request.routeOptions.url ?? path}${names.length ? `?${names.join('&')}` : ''}` };
  }
  return undefined;
}

function splitUrl(url: string): [string, string] {
  const q = url.indexOf('?');
  return q < 0 ? [url, ''] : [url.slice(0, q), url.slice(q + 1)];
}
