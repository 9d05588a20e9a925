/**
 * @module Deterministic resource ids: the same trigger always yields the same CarePlan, the same
 * activity the same request and the same Communication — so a replayed event or a second process
 * can only ever write the same resources (idempotency without a lookup table).
 */
import { createHash } from 'node:crypto';

const hash = (text: string, n = 20) => createHash('sha256').update(text).digest('hex').slice(0, n);

/** Key of the thing a CarePlan is for: the triggering resource, or the patient for `oncePer: subject`. */
export function careplanId(planId: string, key: string): string {
  return `cp-${hash(`${planId}|${key}`)}`;
}

/** CommunicationRequest / Task id of one activity of a CarePlan (FHIR ids are ≤ 64 chars). */
export function activityId(careplanId: string, activityKey: string): string {
  const id = `${careplanId}-${activityKey}`;
  return id.length <= 60 ? id : `${careplanId}-${hash(activityKey, 12)}`;
}

/**
 * Suggested ids of what the scheduler writes. The sweep creates them with a server-assigned id (a
 * plain create is far cheaper for the store than update-as-create), so the lasting key is the
 * `identifier` (ACTIVITY_IDENTIFIER_SYSTEM | activity row id) and the row's `result_ref`.
 */
export const communicationId = (activityRowId: string) => `${activityRowId}-msg`;
export const staffTaskId = (activityRowId: string) => `${activityRowId}-call`;
/** Identifier system of the Communication / staff Task written for a `careplan_activity` row. */
export const ACTIVITY_IDENTIFIER_SYSTEM = 'urn:carebridge:careplan-activity';
export const triageTaskId = (replyType: string, replyId: string) => `tr-${hash(`${replyType}/${replyId}`)}`;
export const triageFlagId = (replyType: string, replyId: string) => `fl-${hash(`${replyType}/${replyId}`)}`;

export const CAREPLAN_IDENTIFIER_SYSTEM = 'urn:carebridge:careplan';
export const EXT_BASE = 'http://carebridge.example/fhir/StructureDefinition';
export const EXT_ANCHOR = `${EXT_BASE}/careplan-anchor`;
export const EXT_STATUS_REASON = `${EXT_BASE}/careplan-status-reason`;
export const EXT_ACTIVITY_KEY = `${EXT_BASE}/careplan-activity`;
export const EXT_CHANNEL = `${EXT_BASE}/communication-channel`;
export const EXT_CONTACT_PREFERENCE = `${EXT_BASE}/contact-preference`;
export const EXT_TIMEZONE = 'http://hl7.org/fhir/StructureDefinition/timezone';
export const CODE_SYSTEM = 'http://carebridge.example/fhir/CodeSystem/careplan';
