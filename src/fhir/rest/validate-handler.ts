/**
 * @module `$validate` on type (`POST /fhir/Patient/$validate`) and instance
 * (`POST /fhir/Patient/1/$validate`, body optional: the stored version is checked).
 * Answers 200 with an OperationOutcome listing the issues (none → one "information" issue).
 */
import type { OperationOutcome, Parameters, Resource } from 'fhir/r4.js';
import { ERROR_CATALOGUE } from '../../errors/index.js';
import { checkResource } from '../validation/index.js';
import { assertAllowed, assertType } from './guards.js';
import type { FhirHandler } from './types.js';

/** The resource to validate: the body, or the `resource` parameter of a Parameters body. */
function resourceFromBody(body: unknown): unknown {
  const p = body as Parameters | undefined;
  if (p && typeof p === 'object' && p.resourceType === 'Parameters') return p.parameter?.find((x) => x.name === 'resource')?.resource;
  return body;
}

export const validateHandler: FhirHandler = async (req, store, audit) => {
  const type = req.path[0]!;
  const id = req.path.length === 3 ? req.path[1] : undefined;
  assertType(type);
  assertAllowed(req, 'operation', type);
  audit.id = id;
  audit.query = '$validate';
  let candidate = req.body === undefined || req.body === '' ? undefined : resourceFromBody(req.body);
  if (candidate === undefined && id) candidate = await store.read<Resource>(type, id);
  const result = checkResource(candidate);
  const kind = result.code ? ERROR_CATALOGUE[result.code] : undefined;
  const outcome: OperationOutcome = {
    resourceType: 'OperationOutcome',
    issue: result.issues.length
      ? result.issues.map((i) => ({
          severity: i.severity ?? 'error',
          code: kind?.issue ?? 'informational',
          diagnostics: i.diagnostics,
          ...(i.expression ? { expression: [i.expression] } : {}),
        }))
      : [{ severity: 'information', code: 'informational', diagnostics: 'No issues found' }],
  };
  return { status: 200, body: outcome };
};
