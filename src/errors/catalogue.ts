/**
 * @module The one catalogue of carebridge errors.
 *
 * Every kind of failure has one code, mapped once to an HTTP status and FHIR issue code (for the
 * REST API) and to an HL7 v2 acknowledgment code and table 0357 error code (for ACKs). Codes read
 * `CB_ERR_AREA_WHAT`. Each code must be documented in docs/errors.md (a test checks).
 * Retired codes MUST NOT be reused.
 */

/** FHIR IssueType codes we use (http://hl7.org/fhir/valueset-issue-type.html). */
export type IssueCode =
  | 'invalid' | 'structure' | 'required' | 'value' | 'invariant' | 'security' | 'login' | 'forbidden'
  | 'not-found' | 'deleted' | 'not-supported' | 'duplicate' | 'multiple-matches' | 'conflict'
  | 'too-costly' | 'throttled' | 'business-rule' | 'processing' | 'exception' | 'timeout' | 'transient'
  | 'informational' | 'incomplete' | 'too-long' | 'code-invalid' | 'lock-error';

/** HL7 v2 acknowledgment codes (table 0008) for a failed message. */
export type AckErrorCode = 'AE' | 'AR';

/** HL7 v2 table 0357 message error condition codes. */
export type Hl7ErrorCondition = '100' | '101' | '102' | '103' | '200' | '201' | '202' | '203' | '204' | '205' | '206' | '207';

export interface ErrorKind {
  readonly http: number;
  readonly issue: IssueCode;
  readonly ack: AckErrorCode;
  readonly hl7: Hl7ErrorCondition;
  /** Whether the same request may succeed if simply tried again later. */
  readonly retryable: boolean;
  readonly title: string;
}

const kind = (http: number, issue: IssueCode, ack: AckErrorCode, hl7: Hl7ErrorCondition, retryable: boolean, title: string): ErrorKind =>
  Object.freeze({ http, issue, ack, hl7, retryable, title });

export const ERROR_CATALOGUE = Object.freeze({
  // --- general
  CB_ERR_INTERNAL: kind(500, 'exception', 'AE', '207', true, 'Internal error'),
  CB_ERR_CONFIG: kind(500, 'exception', 'AR', '207', false, 'Invalid configuration'),
  CB_ERR_DB_UNAVAILABLE: kind(503, 'transient', 'AR', '207', true, 'Database unavailable'),
  CB_ERR_TIMEOUT: kind(503, 'timeout', 'AR', '207', true, 'Operation timed out'),
  CB_ERR_SHUTTING_DOWN: kind(503, 'transient', 'AR', '207', true, 'Server is shutting down'),

  // --- HTTP / request
  CB_ERR_BAD_REQUEST: kind(400, 'invalid', 'AE', '207', false, 'Bad request'),
  CB_ERR_NOT_FOUND: kind(404, 'not-found', 'AE', '204', false, 'Not found'),
  CB_ERR_METHOD_NOT_ALLOWED: kind(405, 'not-supported', 'AR', '200', false, 'Method not allowed'),
  CB_ERR_NOT_ACCEPTABLE: kind(406, 'not-supported', 'AR', '200', false, 'Not acceptable'),
  CB_ERR_UNSUPPORTED_MEDIA_TYPE: kind(415, 'not-supported', 'AR', '200', false, 'Unsupported media type'),
  CB_ERR_PAYLOAD_TOO_LARGE: kind(413, 'too-costly', 'AR', '207', false, 'Payload too large'),
  CB_ERR_RATE_LIMITED: kind(429, 'throttled', 'AR', '207', true, 'Too many requests'),

  // --- security
  CB_ERR_AUTH_REQUIRED: kind(401, 'login', 'AR', '207', false, 'Authentication required'),
  CB_ERR_AUTH_INVALID_TOKEN: kind(401, 'login', 'AR', '207', false, 'Invalid or expired token'),
  CB_ERR_AUTH_INVALID_CLIENT: kind(401, 'security', 'AR', '207', false, 'Invalid client'),
  CB_ERR_AUTH_FORBIDDEN: kind(403, 'forbidden', 'AR', '207', false, 'Forbidden: scope does not permit this'),
  CB_ERR_AUTH_SENDER_NOT_ALLOWED: kind(403, 'security', 'AR', '207', false, 'Sender not allowed'),

  // --- FHIR store
  CB_ERR_FHIR_INVALID_RESOURCE: kind(400, 'structure', 'AE', '102', false, 'Invalid resource'),
  CB_ERR_FHIR_PROFILE_VIOLATION: kind(422, 'invariant', 'AE', '101', false, 'Resource violates a profile'),
  CB_ERR_FHIR_UNKNOWN_TYPE: kind(404, 'not-supported', 'AE', '200', false, 'Unknown resource type'),
  CB_ERR_FHIR_GONE: kind(410, 'deleted', 'AE', '204', false, 'Resource deleted'),
  CB_ERR_FHIR_VERSION_CONFLICT: kind(412, 'conflict', 'AE', '206', true, 'Version conflict (If-Match)'),
  CB_ERR_FHIR_CONFLICT: kind(409, 'conflict', 'AE', '205', true, 'Conflict'),
  CB_ERR_FHIR_MULTIPLE_MATCHES: kind(412, 'multiple-matches', 'AE', '205', false, 'Conditional operation matched more than one resource'),
  CB_ERR_FHIR_ID_MISMATCH: kind(400, 'invalid', 'AE', '102', false, 'Resource id does not match the URL'),
  CB_ERR_FHIR_UNPROCESSABLE: kind(422, 'processing', 'AE', '207', false, 'Unprocessable request'),
  CB_ERR_FHIR_REFERENCE_UNRESOLVED: kind(400, 'not-found', 'AE', '204', false, 'Reference could not be resolved'),
  CB_ERR_SEARCH_UNKNOWN_PARAM: kind(400, 'not-supported', 'AE', '207', false, 'Unknown search parameter'),
  CB_ERR_SEARCH_INVALID_PARAM: kind(400, 'value', 'AE', '207', false, 'Invalid search parameter value'),
  CB_ERR_SEARCH_TOO_COSTLY: kind(400, 'too-costly', 'AE', '207', false, 'Search too costly'),
  CB_ERR_NOT_IMPLEMENTED: kind(501, 'not-supported', 'AR', '200', false, 'Not implemented'),

  // --- HL7 v2 intake
  CB_ERR_HL7_PARSE: kind(400, 'structure', 'AR', '102', false, 'HL7 v2 message could not be parsed'),
  CB_ERR_HL7_NO_MSH: kind(400, 'structure', 'AR', '100', false, 'HL7 v2 message has no MSH segment'),
  CB_ERR_HL7_REQUIRED_FIELD: kind(400, 'required', 'AE', '101', false, 'Required HL7 v2 field missing'),
  CB_ERR_HL7_DATA_TYPE: kind(400, 'value', 'AE', '102', false, 'HL7 v2 field has the wrong data type'),
  CB_ERR_HL7_TABLE_VALUE: kind(400, 'code-invalid', 'AE', '103', false, 'HL7 v2 table value not found'),
  CB_ERR_HL7_UNSUPPORTED_TYPE: kind(400, 'not-supported', 'AR', '200', false, 'Unsupported message type'),
  CB_ERR_HL7_UNSUPPORTED_EVENT: kind(400, 'not-supported', 'AR', '201', false, 'Unsupported event code'),
  CB_ERR_HL7_UNSUPPORTED_PROCESSING_ID: kind(400, 'not-supported', 'AR', '202', false, 'Unsupported processing id'),
  CB_ERR_HL7_UNSUPPORTED_VERSION: kind(400, 'not-supported', 'AR', '203', false, 'Unsupported version id'),
  CB_ERR_HL7_FRAME_TOO_LARGE: kind(413, 'too-long', 'AR', '207', false, 'MLLP frame over the size limit'),
  CB_ERR_HL7_CHARSET: kind(400, 'value', 'AE', '102', false, 'Unsupported or invalid character set'),

  // --- mapping
  CB_ERR_MAP_LOAD: kind(500, 'invalid', 'AE', '207', false, 'Mapping file failed to load'),
  CB_ERR_MAP_UNKNOWN_PATH: kind(500, 'invalid', 'AE', '207', false, 'Mapping refers to an unknown path'),
  CB_ERR_MAP_FAILED: kind(422, 'processing', 'AE', '207', true, 'Mapping failed for this message'),
  CB_ERR_MAP_NOT_FOUND: kind(404, 'not-found', 'AE', '200', false, 'No mapping for this message'),

  // --- care plans / outbound
  CB_ERR_PLAN_LOAD: kind(500, 'invalid', 'AE', '207', false, 'Care-plan definition failed to load'),
  CB_ERR_OUTBOUND_DELIVERY: kind(502, 'transient', 'AE', '207', true, 'Outbound delivery failed'),
  CB_ERR_OUTBOUND_REJECTED: kind(502, 'business-rule', 'AE', '207', false, 'Destination rejected the message'),
} as const satisfies Record<string, ErrorKind>);

export type ErrorCode = keyof typeof ERROR_CATALOGUE;
