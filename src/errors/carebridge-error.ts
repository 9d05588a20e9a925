/** @module The one error class, and turning any error into an OperationOutcome or ACK fields. */
import type { OperationOutcome, OperationOutcomeIssue } from 'fhir/r4.js';
import { ERROR_CATALOGUE, type ErrorCode, type ErrorKind } from './catalogue.js';

export interface ErrorDetail {
  /** FHIRPath of the element at fault (OperationOutcome.issue.expression), e.g. `Patient.birthDate`. */
  readonly expression?: string;
  /** HL7 v2 location for ERR-2, e.g. `PID^1^7`. */
  readonly location?: string;
  readonly diagnostics: string;
  readonly severity?: 'fatal' | 'error' | 'warning' | 'information';
}

export class CarebridgeError extends Error {
  readonly code: ErrorCode;
  readonly details: readonly ErrorDetail[];

  constructor(code: ErrorCode, message?: string, options?: { details?: readonly ErrorDetail[]; cause?: unknown }) {
    super(message ?? ERROR_CATALOGUE[code].title, { cause: options?.cause });
    this.name = 'CarebridgeError';
    this.code = code;
    this.details = options?.details ?? [];
  }

  get kind(): ErrorKind {
    return ERROR_CATALOGUE[this.code];
  }
}

export function isCarebridgeError(err: unknown): err is CarebridgeError {
  return err instanceof CarebridgeError;
}

const PG_UNAVAILABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03', '08000', '08001', '08003', '08006']);

/**
 * Any thrown value → a CarebridgeError. Unknown errors become CB_ERR_INTERNAL whose message is
 * generic (never a stack trace or driver text), with the original kept as `cause` for the log.
 */
export function normalizeError(err: unknown): CarebridgeError {
  if (err instanceof CarebridgeError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string') {
    if (PG_UNAVAILABLE.has(code) || (err as Error).message?.includes('Connection terminated')) {
      return new CarebridgeError('CB_ERR_DB_UNAVAILABLE', undefined, { cause: err });
    }
    // Deadlock, serialization failure, unique violation: a concurrent writer won; retrying succeeds.
    if (code === '40P01' || code === '40001' || code === '23505') return new CarebridgeError('CB_ERR_FHIR_CONFLICT', 'Concurrent write conflict; retry', { cause: err });
    if (code === '57014') return new CarebridgeError('CB_ERR_TIMEOUT', 'Query cancelled: statement timeout', { cause: err });
    if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new CarebridgeError('CB_ERR_PAYLOAD_TOO_LARGE', undefined, { cause: err });
    if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return new CarebridgeError('CB_ERR_UNSUPPORTED_MEDIA_TYPE', undefined, { cause: err });
    if (code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || code === 'FST_ERR_CTP_INVALID_JSON_BODY' || code === 'FST_ERR_CTP_INVALID_CONTENT_LENGTH') {
      return new CarebridgeError('CB_ERR_BAD_REQUEST', (err as Error).message, { cause: err });
    }
  }
  const status = (err as { statusCode?: unknown } | null)?.statusCode;
  if (err instanceof SyntaxError && status === 400) {
    return new CarebridgeError('CB_ERR_BAD_REQUEST', `Body is not valid JSON: ${err.message}`, { cause: err });
  }
  if (status === 429) return new CarebridgeError('CB_ERR_RATE_LIMITED', undefined, { cause: err });
  if (status === 413) return new CarebridgeError('CB_ERR_PAYLOAD_TOO_LARGE', undefined, { cause: err });
  if (status === 415) return new CarebridgeError('CB_ERR_UNSUPPORTED_MEDIA_TYPE', undefined, { cause: err });
  return new CarebridgeError('CB_ERR_INTERNAL', 'Internal error', { cause: err });
}

/** The OperationOutcome for an error (HTTP status is `normalizeError(err).kind.http`). */
export function toOperationOutcome(err: unknown): OperationOutcome {
  const e = normalizeError(err);
  const issues: OperationOutcomeIssue[] =
    e.details.length > 0
      ? e.details.map((d) => ({
          severity: d.severity ?? 'error',
          code: e.kind.issue,
          diagnostics: d.diagnostics,
          ...(d.expression ? { expression: [d.expression] } : {}),
          details: { coding: [{ system: 'https://carebridge.dev/fhir/CodeSystem/error', code: e.code }], text: e.message },
        }))
      : [
          {
            severity: 'error',
            code: e.kind.issue,
            diagnostics: e.message,
            details: { coding: [{ system: 'https://carebridge.dev/fhir/CodeSystem/error', code: e.code }] },
          },
        ];
  return { resourceType: 'OperationOutcome', issue: issues };
}

/** An informational/warning OperationOutcome (e.g. search warnings, delete confirmation). */
export function informationOutcome(diagnostics: string, severity: 'information' | 'warning' = 'information'): OperationOutcome {
  return { resourceType: 'OperationOutcome', issue: [{ severity, code: 'informational', diagnostics }] };
}
