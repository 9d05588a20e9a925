/** @module intake — durable inbox, ACKs, dedup, processing worker, HTTP/admin routes (exported through ../index.ts). */
export { createHl7v2Service, type Hl7v2Service, type Hl7v2ServiceOptions } from './hl7v2-service.js';
export { Intake, type ReceiveContext, type ReceiveResult, type SendAck, type Transport } from './intake.js';
export { unmappedProcessor, type InboxMessage, type MessageProcessor, type ProcessContext, type ProcessOutcome } from './types.js';
export { hl7v2Migrations, INBOX_STATUSES, type InboxStatus, type AckMode } from './schema.js';
export { createInboxWorker, type InboxWorker } from './worker.js';
export { createSenderDirectory, loadSenderDirectory, type SenderDirectory, type SendersFile, type SenderRule } from './senders.js';
export { searchMessages, getMessage, countMessages, replayMessages, parseMessageFilter, type MessageFilter, type MessageSummary, type MessageDetail } from './inbox-queries.js';
export { inboxFlow, type InboxFlow } from './flow.js';
export { splitUpload } from './batch-split.js';
export { intakeCliCommands, type IntakeCliRuntime, type IntakeCliCommand } from './cli.js';
export { purgePatientInbox, type InboxErasureSubject } from './erasure.js';
