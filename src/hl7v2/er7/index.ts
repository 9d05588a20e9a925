/** @module er7 — HL7 v2 ER7 parsing and serialising (internal to room hl7v2; exported via ../index.ts). */
export type { Delimiters, Hl7Component, Hl7Repetition, Hl7Field, Hl7Segment, MshHeader, Hl7Message, ParseOptions, EscapeMode } from './types.js';
export { parseMessage, peekHeader, decodeMessageBytes, DEFAULT_CHARSET } from './parse-message.js';
export { parseBatch, type BatchResult, type BatchItem, type BatchEnvelope } from './batch.js';
export { decodeBytes, readMsh18, charsetLabel } from './charset.js';
export { DEFAULT_DELIMITERS, readDelimiters, encodingCharacters } from './delimiters.js';
export { decodeEscapes, encodeEscapes } from './escape.js';
export { parsePath, parseFieldPath, type Hl7Path, type FieldPath } from './path.js';
export { Er7Message } from './message.js';
export { Er7Segment } from './segment.js';
export { serializeSegment, serializeMessage, type FieldValue } from './serialize.js';
