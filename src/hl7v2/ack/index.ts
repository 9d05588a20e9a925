/** @module ack — building our acknowledgments and reading peers' (internal to room hl7v2). */
export { buildAck, ackCodeFor, newControlId, hl7Timestamp, versionAtLeast, type AckCode, type AckOptions } from './build-ack.js';
export { parseAck, type ParsedAck, type AckError } from './parse-ack.js';
export { TABLE_0357 } from './table-0357.js';
