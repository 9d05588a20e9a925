/**
 * @module JSON Schemas of the files in mappings/careplans/: care-plan definitions and triage rules.
 *
 * Version log (bump `schemaVersion` handling in plan-compiler.ts when the shape changes):
 * - 1 (2026-11): first shape — trigger, anchor, activities with offsets, templates per language,
 *   channel rules, quiet hours; triage rules by keyword / code / score.
 */
import { OFFSET_PATTERN } from './clock.js';

const HHMM = '^([01][0-9]|2[0-3]):[0-5][0-9]$';
const ID = '^[a-z0-9][a-z0-9-]{0,62}$';
const LANGUAGE = '^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$';

export const CHANNELS = ['sms', 'email', 'phone', 'app'] as const;
export type Channel = (typeof CHANNELS)[number];
export const ACTIVITY_KINDS = ['message', 'call', 'questionnaire'] as const;
export type ActivityKind = (typeof ACTIVITY_KINDS)[number];

const templates = {
  type: 'object',
  minProperties: 1,
  propertyNames: { pattern: LANGUAGE },
  additionalProperties: { type: 'string', minLength: 1 },
} as const;

export const PLAN_FILE_SCHEMA = {
  type: 'object',
  required: ['id', 'title', 'trigger', 'activities'],
  additionalProperties: false,
  properties: {
    schemaVersion: { const: 1 },
    id: { type: 'string', pattern: ID },
    version: { type: 'string', minLength: 1 },
    title: { type: 'string', minLength: 1 },
    description: { type: 'string' },
    status: { enum: ['active', 'draft', 'retired'] },
    trigger: {
      type: 'object',
      required: ['resourceType', 'condition', 'subject', 'anchor'],
      additionalProperties: false,
      properties: {
        resourceType: { type: 'string', pattern: '^[A-Z][A-Za-z]+$' },
        condition: { type: 'string', minLength: 1, description: 'FHIRPath over the changed resource; true starts the plan' },
        subject: { type: 'string', minLength: 1, description: 'FHIRPath → Reference to the Patient' },
        anchor: { type: 'string', minLength: 1, description: 'FHIRPath → dateTime the offsets count from' },
        oncePer: { enum: ['resource', 'subject'], description: 'one CarePlan per triggering resource (default) or per patient' },
        context: {
          type: 'object',
          propertyNames: { pattern: '^[a-z][A-Za-z0-9]*$' },
          additionalProperties: {
            type: 'object',
            additionalProperties: false,
            minProperties: 1,
            maxProperties: 1,
            properties: {
              resolve: { type: 'string', minLength: 1, description: 'FHIRPath → Reference, read from the store' },
              search: { type: 'string', pattern: '^[A-Z][A-Za-z]+\\?', description: 'search; {{id}} and {{reference}} are the changed resource' },
            },
          },
        },
      },
    },
    defaults: {
      type: 'object',
      additionalProperties: false,
      properties: {
        language: { type: 'string', pattern: LANGUAGE },
        timeZone: { type: 'string', minLength: 1 },
        quietHours: { type: 'object', required: ['start', 'end'], additionalProperties: false, properties: { start: { type: 'string', pattern: HHMM }, end: { type: 'string', pattern: HHMM } } },
      },
    },
    channels: {
      type: 'object',
      additionalProperties: false,
      properties: {
        allowed: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: CHANNELS } },
        elderlyAge: { type: 'integer', minimum: 0, maximum: 150, description: 'at or above this age a phone preference becomes a staff call' },
      },
    },
    activities: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['id', 'offset', 'kind'],
        additionalProperties: false,
        properties: {
          id: { type: 'string', pattern: ID },
          offset: { type: 'string', pattern: OFFSET_PATTERN },
          kind: { enum: ACTIVITY_KINDS },
          title: { type: 'string' },
          purpose: { type: 'string', pattern: '^[a-z][a-z0-9-]*$', description: 'consent purpose passed to mayContact' },
          questionnaire: { type: 'string', minLength: 1 },
          skipIfRecovered: { type: 'boolean' },
          templates,
        },
      },
    },
  },
} as const;

export const TRIAGE_FILE_SCHEMA = {
  type: 'object',
  required: ['rules'],
  additionalProperties: false,
  properties: {
    schemaVersion: { const: 1 },
    rules: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['id', 'level'],
        additionalProperties: false,
        minProperties: 3,
        properties: {
          id: { type: 'string', pattern: ID },
          level: { enum: ['urgent', 'routine', 'recovered'] },
          keywords: { type: 'object', minProperties: 1, propertyNames: { pattern: LANGUAGE }, additionalProperties: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } } },
          codes: { type: 'array', minItems: 1, items: { type: 'object', required: ['code'], additionalProperties: false, properties: { system: { type: 'string' }, code: { type: 'string' } } } },
          score: {
            type: 'object',
            required: ['linkId'],
            additionalProperties: false,
            properties: { linkId: { type: 'string', minLength: 1 }, min: { type: 'number' }, max: { type: 'number' } },
          },
        },
      },
    },
  },
} as const;
