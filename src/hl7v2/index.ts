/**
 * @module hl7v2 — the room's door: ER7 parsing and ACKs (hl7-parser), MLLP framing/listener/client
 * and the durable intake (hl7-intake). Other rooms import only from here.
 */
export {
  MllpServer,
  MllpClient,
  MllpFrameDecoder,
  encodeFrame,
  type MllpServerOptions,
  type MllpTlsOptions,
  type MllpClientOptions,
  type MllpClientTlsOptions,
  type MllpResponse,
  type MllpHandler,
  type MllpReply,
} from './mllp/index.js';

// --- intake: durable inbox, ACKs, dedup, processing (owner: hl7-intake; see /work/team/NOTES-hl7-intake.md)
export {
  createHl7v2Service,
  hl7v2Migrations,
  unmappedProcessor,
  createSenderDirectory,
  searchMessages,
  getMessage,
  countMessages,
  replayMessages,
  parseMessageFilter,
  inboxFlow,
  splitUpload,
  INBOX_STATUSES,
  type Hl7v2Service,
  type Hl7v2ServiceOptions,
  type InboxMessage,
  type MessageProcessor,
  type ProcessOutcome,
  type InboxStatus,
  type MessageFilter,
  type MessageSummary,
  type MessageDetail,
  type InboxFlow,
  type SenderDirectory,
  type SendersFile,
} from './intake/index.js';

// --- ER7 parser, ACKs, dictionary (owner: hl7-parser; see /work/team/NOTES-hl7-parser.md)
export {
  parseMessage,
  parseBatch,
  peekHeader,
  decodeBytes,
  readMsh18,
  charsetLabel,
  decodeEscapes,
  encodeEscapes,
  parsePath,
  parseFieldPath,
  DEFAULT_DELIMITERS,
  DEFAULT_CHARSET,
  Er7Message,
  Er7Segment,
  type Delimiters,
  type Hl7Component,
  type Hl7Repetition,
  type Hl7Field,
  type Hl7Segment,
  type MshHeader,
  type Hl7Message,
  type ParseOptions,
  type EscapeMode,
  type BatchResult,
  type BatchItem,
  type BatchEnvelope,
  type Hl7Path,
  type FieldPath,
} from './er7/index.js';
export { buildAck, parseAck, ackCodeFor, newControlId, TABLE_0357, type AckCode, type AckOptions, type ParsedAck, type AckError } from './ack/index.js';
export {
  loadHl7Dictionary,
  segmentDefinition,
  dataTypeComponents,
  dictionaryVersion,
  checkPath,
  type SegmentDefinition,
  type FieldDefinition,
  type PathCheck,
} from './dictionary/index.js';
