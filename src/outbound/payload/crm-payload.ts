/**
 * @module FHIR → a Salesforce-Health-Cloud-style CRM: each change becomes composite subrequests
 * that upsert by an external id (`PATCH /sobjects/<Object>/Carebridge_Id__c/<Type>-<id>`), so a
 * retry or a replay updates the same record instead of creating a second one.
 * Patient → Account (person account); CarePlan → CarePlan (+ CarePlanActivity per activity);
 * Appointment → ServiceAppointment; Task / Communication → Task.
 */
import type { Appointment, CarePlan, Communication, Patient, Resource, Task } from 'fhir/r4.js';
import type { OutboundPayload } from '../types.js';
import { patientReference } from './patient-reference.js';
import type { PayloadContext } from './payload-context.js';

export const CRM_API = '/services/data/v59.0';
export const CRM_EXTERNAL_ID = 'Carebridge_Id__c';

export interface CrmSubrequest {
  readonly method: 'PATCH';
  readonly url: string;
  readonly referenceId: string;
  readonly body: Record<string, unknown>;
}

const externalId = (reference: string) => reference.replace('/', '-');
const upsert = (object: string, reference: string, body: Record<string, unknown>): CrmSubrequest => ({
  method: 'PATCH',
  url: `${CRM_API}/sobjects/${object}/${CRM_EXTERNAL_ID}/${encodeURIComponent(externalId(reference))}`,
  referenceId: `${object}_${externalId(reference).replace(/[^A-Za-z0-9_]/g, '_')}`.slice(0, 80),
  body,
});
const account = (ref: string | undefined) => (ref ? { Account: { [CRM_EXTERNAL_ID]: externalId(ref) } } : {});

const APPOINTMENT_STATUS: Record<string, string> = {
  proposed: 'None', pending: 'None', booked: 'Scheduled', arrived: 'In Progress', fulfilled: 'Completed',
  cancelled: 'Canceled', noshow: 'Cannot Complete', 'entered-in-error': 'Canceled', 'checked-in': 'In Progress', waitlist: 'None',
};
const TASK_STATUS: Record<string, string> = {
  completed: 'Completed', 'not-done': 'Not Done', cancelled: 'Canceled', failed: 'Not Done', 'in-progress': 'In Progress',
  ready: 'Not Started', requested: 'Not Started', accepted: 'Not Started', draft: 'Not Started', preparation: 'Not Started',
  'on-hold': 'Waiting on someone else', stopped: 'Not Done', 'entered-in-error': 'Canceled', received: 'Not Started', rejected: 'Not Done', unknown: 'Not Started',
};

/** The subrequests for one change (empty when the type has no CRM counterpart). */
export function crmSubrequests(resource: Resource): CrmSubrequest[] {
  const ref = `${resource.resourceType}/${resource.id}`;
  const patient = patientReference(resource);
  switch (resource.resourceType) {
    case 'Patient': {
      const p = resource as Patient;
      const name = p.name?.find((n) => n.use === 'official') ?? p.name?.[0];
      const tel = (system: string) => p.telecom?.find((t) => t.system === system)?.value;
      return [upsert('Account', ref, {
        FirstName: name?.given?.join(' '), LastName: name?.family ?? '(unknown)', PersonBirthdate: p.birthDate,
        HealthCloudGA__Gender__pc: p.gender, PersonEmail: tel('email'), PersonMobilePhone: tel('phone'),
        PersonMailingCity: p.address?.[0]?.city, PersonMailingPostalCode: p.address?.[0]?.postalCode,
      })];
    }
    case 'CarePlan': {
      const c = resource as CarePlan;
      const plan = upsert('CarePlan', ref, { Name: c.title ?? 'Care plan', Status: c.status, StartDate: c.period?.start, EndDate: c.period?.end, ...account(patient) });
      const activities = (c.activity ?? []).slice(0, 20).map((a, i) =>
        upsert('CarePlanActivity', `${ref}-activity-${i}`, {
          Name: a.detail?.description ?? a.detail?.code?.text ?? `Activity ${i + 1}`,
          Status: a.detail?.status,
          ScheduledDate: typeof a.detail?.scheduledString === 'string' ? a.detail.scheduledString : a.detail?.scheduledPeriod?.start,
          CarePlan: { [CRM_EXTERNAL_ID]: externalId(ref) },
        }));
      return [plan, ...activities];
    }
    case 'Appointment': {
      const a = resource as Appointment;
      return [upsert('ServiceAppointment', ref, {
        Subject: a.description ?? a.serviceType?.[0]?.text ?? 'Appointment', Status: APPOINTMENT_STATUS[a.status] ?? 'None',
        SchedStartTime: a.start, SchedEndTime: a.end, CancellationReason__c: a.cancelationReason?.text, ...account(patient),
      })];
    }
    case 'Task':
    case 'Communication': {
      const t = resource as Task | Communication;
      const subject = resource.resourceType === 'Task' ? ((t as Task).description ?? (t as Task).code?.text) : ((t as Communication).topic?.text ?? (t as Communication).category?.[0]?.text);
      return [upsert('Task', ref, { Subject: subject ?? resource.resourceType, Status: TASK_STATUS[t.status] ?? 'Not Started', Type: resource.resourceType, ...account(patient) })];
    }
    default:
      return [];
  }
}

export function crmPayload(ctx: PayloadContext): OutboundPayload | undefined {
  const subrequests = crmSubrequests(ctx.change.resource);
  if (subrequests.length === 0) return undefined;
  return { kind: 'http', method: 'POST', contentType: 'application/json', body: JSON.stringify(subrequests) };
}
