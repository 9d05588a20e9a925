/** @module Picks the payload builder a rule names. Undefined = nothing to send for this change. */
import type { OutboundPayload } from '../types.js';
import { crmPayload } from './crm-payload.js';
import { fhirRestPayload } from './fhir-rest-payload.js';
import type { PayloadContext } from './payload-context.js';
import { cloudEventPayload, resourcePayload } from './resource-payloads.js';
import { siuPayload } from './siu-payload.js';

export async function buildPayload(ctx: PayloadContext): Promise<OutboundPayload | undefined> {
  switch (ctx.rule.payload.format) {
    case 'resource': return resourcePayload(ctx);
    case 'cloudevents': return cloudEventPayload(ctx);
    case 'fhir-rest': return fhirRestPayload(ctx);
    case 'crm': return crmPayload(ctx);
    case 'hl7v2-siu': return siuPayload(ctx);
  }
}
