/** @module errors — the catalogue every room raises from, and its mapping to FHIR and HL7 answers. */
export { ERROR_CATALOGUE, type ErrorCode, type ErrorKind, type IssueCode, type AckErrorCode, type Hl7ErrorCondition } from './catalogue.js';
export { CarebridgeError, isCarebridgeError, normalizeError, toOperationOutcome, informationOutcome, type ErrorDetail } from './carebridge-error.js';
