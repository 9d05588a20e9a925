/** @module Builds the runtime `Destination` (channel + limits) for a loaded destination spec. */
import type { Destination } from './channel.js';
import { createCrmChannel } from './crm/crm-channel.js';
import { defineDestination } from './destinations.js';
import { createFhirRestChannel } from './fhir-rest/fhir-rest-channel.js';
import { createMllpChannel } from './mllp/mllp-channel.js';
import type { DestinationSpec } from './rules/rule-types.js';
import { createWebhookChannel } from './webhook/webhook-channel.js';

export function destinationFromSpec(spec: DestinationSpec): Destination {
  const s = spec.settings;
  switch (spec.channel) {
    case 'webhook':
      return defineDestination(spec.name, createWebhookChannel({ url: spec.url!, secret: spec.secret, headers: spec.headers }), s);
    case 'fhir-rest':
      return defineDestination(spec.name, createFhirRestChannel({ baseUrl: spec.url!, bearerToken: spec.bearerToken, headers: spec.headers }), s);
    case 'crm':
      return defineDestination(spec.name, createCrmChannel({ instanceUrl: spec.url!, bearerToken: spec.bearerToken, secret: spec.secret, headers: spec.headers }), {
        ...s,
        concurrency: Math.min(s.concurrency ?? 5, 5),
        batchSize: Math.min(s.batchSize ?? 25, 30),
      });
    case 'mllp': {
      const connections = s.concurrency ?? 1;
      const channel = createMllpChannel({ host: spec.host!, port: spec.port!, connections, ackTimeoutMs: s.timeoutMs ?? 30_000, onApplicationError: spec.onApplicationError, connectionPerMessage: spec.connectionPerMessage });
      // The per-attempt signal must outlast the ACK timeout so the client's own timeout decides.
      return defineDestination(spec.name, channel, { ...s, concurrency: connections, timeoutMs: (s.timeoutMs ?? 30_000) + 5_000 });
    }
  }
}
