/**
 * @module AccessEvent → AuditEvent, shaped after the IHE Basic Audit Log Patterns (BALP):
 * type/subtype, action, outcome, agent (client id + network address), source (carebridge),
 * entity (resource reference and query). Query values are replaced by sha256 digests: the audit
 * trail must say that someone searched, and let an auditor test a suspected value, without
 * itself becoming a copy of patient names and identifiers (which erasure could not remove).
 */
import { createHash } from 'node:crypto';
import type { AuditEvent, AuditEventEntity, Coding } from 'fhir/r4.js';
import type { AccessEvent } from './types.js';

const DCM = 'http://dicom.nema.org/resources/ontology/DCM';
const AUDIT_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-event-type';
const RESTFUL = 'http://hl7.org/fhir/restful-interaction';
const CB_AUDIT = 'https://carebridge.dev/fhir/CodeSystem/audit-subtype';
export const CLIENT_ID_SYSTEM = 'https://carebridge.dev/fhir/NamingSystem/client-id';

type Action = NonNullable<AuditEvent['action']>;

const ACTIONS: Record<AccessEvent['interaction'], Action> = {
  create: 'C',
  read: 'R',
  vread: 'R',
  search: 'E',
  history: 'E',
  update: 'U',
  delete: 'D',
  operation: 'E',
  export: 'E',
  erase: 'D',
  login: 'E',
  admin: 'E',
};

function typeAndSubtype(interaction: AccessEvent['interaction']): { type: Coding; subtype: Coding[] } {
  switch (interaction) {
    case 'login':
      return { type: { system: DCM, code: '110114', display: 'User Authentication' }, subtype: [{ system: DCM, code: '110122', display: 'Login' }] };
    case 'admin':
      return { type: { system: DCM, code: '110100', display: 'Application Activity' }, subtype: [{ system: CB_AUDIT, code: 'admin' }] };
    case 'export':
    case 'erase':
      return { type: { system: AUDIT_TYPE, code: 'rest', display: 'RESTful Operation' }, subtype: [{ system: RESTFUL, code: 'operation' }, { system: CB_AUDIT, code: interaction }] };
    default:
      return { type: { system: AUDIT_TYPE, code: 'rest', display: 'RESTful Operation' }, subtype: [{ system: RESTFUL, code: interaction }] };
  }
}

function outcomeOf(status: number): NonNullable<AuditEvent['outcome']> {
  if (status < 400) return '0';
  if (status < 500) return '4';
  return '8';
}

/** `family=Doe&_count=10` → `family=sha256:…&_count=10` (control parameters stay readable). */
export function digestQuery(query: string): string {
  const params = new URLSearchParams(query.startsWith('?') ? query.slice(1) : query);
  const out = new URLSearchParams();
  for (const [k, v] of params) {
    out.append(k, k.startsWith('_') && k !== '_id' && k !== '_content' && k !== '_text' && k !== '_filter' ? v : `sha256:${createHash('sha256').update(v).digest('hex').slice(0, 32)}`);
  }
  return out.toString();
}

export function toAuditEvent(e: AccessEvent, recorded: Date = new Date()): AuditEvent {
  const { type, subtype } = typeAndSubtype(e.interaction);
  const entity: AuditEventEntity[] = [];
  if (e.resourceType || e.query) {
    entity.push({
      ...(e.resourceType ? { what: { reference: e.id ? `${e.resourceType}/${e.id}` : undefined, type: e.resourceType } } : {}),
      type: { system: 'http://terminology.hl7.org/CodeSystem/audit-entity-type', code: e.query && !e.id ? '2' : '1' },
      ...(e.query ? { query: Buffer.from(e.interaction === 'admin' ? e.query : digestQuery(e.query), 'utf8').toString('base64') } : {}),
    });
  }
  return {
    resourceType: 'AuditEvent',
    type,
    subtype,
    action: ACTIONS[e.interaction],
    recorded: recorded.toISOString(),
    outcome: outcomeOf(e.status),
    outcomeDesc: `HTTP ${e.status}`,
    agent: [
      {
        type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'IRCP', display: 'information recipient' }] },
        who: { identifier: { system: CLIENT_ID_SYSTEM, value: e.clientId ?? 'anonymous' } },
        requestor: true,
        ...(e.ip ? { network: { address: e.ip, type: '2' as const } } : {}),
      },
    ],
    source: { site: 'carebridge', observer: { display: 'carebridge' }, type: [{ system: 'http://terminology.hl7.org/CodeSystem/security-source-type', code: '4', display: 'Application Server' }] },
    ...(entity.length ? { entity } : {}),
  };
}
