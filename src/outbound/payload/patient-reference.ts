/** @module Which patient a resource is about: the default ordering key of its outbox rows. */
import type { Reference, Resource } from 'fhir/r4.js';

type WithRefs = Record<string, unknown>;

const isPatientRef = (r: unknown): r is Reference => typeof (r as Reference | undefined)?.reference === 'string' && /^Patient\/[^/]+$/.test((r as Reference).reference!);

/** 'Patient/<id>' or undefined. */
export function patientReference(resource: Resource): string | undefined {
  if (resource.resourceType === 'Patient') return `Patient/${resource.id}`;
  const r = resource as unknown as WithRefs;
  for (const key of ['subject', 'patient', 'beneficiary', 'for', 'individual']) {
    if (isPatientRef(r[key])) return (r[key] as Reference).reference;
  }
  const participants = (r.participant as Array<{ actor?: Reference }> | undefined) ?? [];
  for (const p of participants) if (isPatientRef(p.actor)) return p.actor!.reference;
  const recipients = ([] as Reference[]).concat((r.recipient as Reference[] | Reference | undefined) ?? []);
  for (const p of recipients) if (isPatientRef(p)) return p.reference;
  return undefined;
}
