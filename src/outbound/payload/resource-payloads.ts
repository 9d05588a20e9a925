/**
 * @module Webhook payloads: the FHIR resource itself, or a CloudEvents 1.0 envelope (structured
 * mode, https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/formats/json-format.md) whose
 * `data` is the resource and whose `type` is the rule's event (e.g. org.carebridge.payment.posted).
 */
import type { OutboundPayload } from '../types.js';
import type { PayloadContext } from './payload-context.js';

export function resourcePayload(ctx: PayloadContext): OutboundPayload {
  return { kind: 'http', contentType: 'application/fhir+json', body: JSON.stringify(ctx.change.resource) };
}

export function cloudEventPayload(ctx: PayloadContext): OutboundPayload {
  const c = ctx.change;
  const event = {
    specversion: '1.0',
    id: ctx.key,
    source: ctx.rule.payload.source ?? 'urn:carebridge',
    type: `org.carebridge.${ctx.rule.event}`,
    subject: `${c.resourceType}/${c.id}`,
    time: c.changedAt.toISOString(),
    datacontenttype: 'application/fhir+json',
    carebridgeoperation: c.operation,
    carebridgeversion: String(c.versionId),
    data: c.resource,
  };
  return { kind: 'http', contentType: 'application/cloudevents+json', body: JSON.stringify(event) };
}
