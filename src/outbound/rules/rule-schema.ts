/**
 * @module JSON Schema of an outbound rules file (mappings/outbound/*.yaml).
 *
 * Version log: v1 (2026-11-23) — destination + rules; formats resource, cloudevents, fhir-rest, crm, hl7v2-siu.
 */
const settings = {
  type: 'object',
  additionalProperties: false,
  properties: {
    concurrency: { type: 'integer', minimum: 1, maximum: 64 },
    ratePerSecond: { type: 'number', minimum: 0 },
    batchSize: { type: 'integer', minimum: 1, maximum: 30 },
    maxAttempts: { type: 'integer', minimum: 1, maximum: 1000 },
    timeoutMs: { type: 'integer', minimum: 100, maximum: 300000 },
    backoff: { type: 'object', additionalProperties: false, properties: { baseMs: { type: 'integer', minimum: 1 }, maxMs: { type: 'integer', minimum: 1 }, factor: { type: 'number', minimum: 1 } } },
    circuit: { type: 'object', additionalProperties: false, properties: { failureThreshold: { type: 'integer', minimum: 1 }, openMs: { type: 'integer', minimum: 1 } } },
  },
} as const;

const sourceMatcher = {
  type: 'object',
  additionalProperties: false,
  properties: {
    kind: { enum: ['rest', 'hl7v2', 'careplan', 'outbound', 'subscription', 'system'] },
    clientId: { type: 'string' },
    sender: { type: 'string' },
    destination: { type: 'string' },
  },
} as const;

export const OUTBOUND_RULES_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['destination', 'rules'],
  properties: {
    description: { type: 'string' },
    /** The destination is enabled only when all these variables are set (else listed as disabled). */
    requiresEnv: { type: 'array', items: { type: 'string', pattern: '^[A-Z][A-Z0-9_]*$' } },
    destination: {
      type: 'object',
      additionalProperties: false,
      required: ['name', 'channel'],
      properties: {
        name: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,62}$' },
        channel: { enum: ['webhook', 'fhir-rest', 'crm', 'mllp'] },
        url: { type: 'string', minLength: 1 },
        secret: { type: 'string' },
        bearerToken: { type: 'string' },
        headers: { type: 'object', additionalProperties: { type: 'string' } },
        host: { type: 'string' },
        port: { type: ['integer', 'string'] },
        /** MLLP: what an AE application error means (AR is always a dead letter). */
        onApplicationError: { enum: ['retry', 'dead-letter'] },
        /** MLLP: one message per connection (for receivers that mis-ACK later messages on a connection). */
        connectionPerMessage: { type: 'boolean' },
        /** Writes from these sources are never sent here (loop prevention beyond our own `outbound` writes). */
        skipSources: { type: 'array', items: sourceMatcher },
        settings,
      },
    },
    rules: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'resourceType', 'event'],
        properties: {
          id: { type: 'string', pattern: '^[a-z0-9][a-z0-9-.]{0,62}$' },
          description: { type: 'string' },
          resourceType: { type: 'string', pattern: '^[A-Z][A-Za-z]+$' },
          operations: { type: 'array', minItems: 1, items: { enum: ['create', 'update', 'delete'] } },
          /** FHIRPath, true to send. Variables: %previous (the prior version or empty), %operation. */
          when: { type: 'string', minLength: 1 },
          /** FHIRPath whose value must differ from the prior version's (a create always counts). */
          changed: { type: 'string', minLength: 1 },
          /** Only writes from these sources (e.g. appointments booked through the CRM's REST client). */
          sources: { type: 'array', minItems: 1, items: sourceMatcher },
          event: { type: 'string', pattern: '^[a-z0-9][a-z0-9-.]*$' },
          /** FHIRPath to the reference that orders deliveries (default: the patient). */
          orderingKey: { type: 'string', minLength: 1 },
          payload: {
            type: 'object',
            additionalProperties: false,
            required: ['format'],
            properties: {
              format: { enum: ['resource', 'cloudevents', 'fhir-rest', 'crm', 'hl7v2-siu'] },
              source: { type: 'string' },
              mode: { enum: ['conditional-update', 'transaction', 'batch'] },
              identifierSystem: { type: 'string' },
              sendingApplication: { type: 'string' },
              sendingFacility: { type: 'string' },
              receivingApplication: { type: 'string' },
              receivingFacility: { type: 'string' },
              version: { type: 'string' },
            },
          },
        },
      },
    },
  },
} as const;
