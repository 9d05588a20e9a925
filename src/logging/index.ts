/**
 * @module logging — the pino logger every room receives.
 *
 * Log control ids and resource ids, never bodies or names. The redaction list below is a safety
 * net for mistakes, not permission to log objects that hold patient data.
 */
import { pino, type Logger, type LoggerOptions, type DestinationStream } from 'pino';

export type { Logger } from 'pino';

/** Paths whose values are censored wherever they appear in a log line. */
export const REDACTED_PATHS: readonly string[] = [
  'body', '*.body', 'req.body', 'request.body', 'reply.body',
  'raw', '*.raw', 'message', 'hl7', '*.hl7', 'segments', '*.segments',
  'resource', '*.resource', 'patient', '*.patient', 'bundle', '*.bundle',
  'name', '*.name', 'given', 'family', 'birthDate', '*.birthDate',
  'address', '*.address', 'telecom', '*.telecom', 'phone', 'email',
  'identifier', '*.identifier',
  'authorization', 'req.headers.authorization', 'headers.authorization', 'req.headers.cookie',
  'token', '*.token', 'apiKey', '*.apiKey', 'secret', '*.secret', 'password', 'client_assertion',
];

export interface LoggerSettings {
  readonly level?: string;
  readonly name?: string;
}

export function createLogger(settings: LoggerSettings = {}, destination?: DestinationStream): Logger {
  const options: LoggerOptions = {
    level: settings.level ?? 'info',
    // Not pino's `name`: that key is on the redaction list (patient names), so use `svc`.
    base: { svc: settings.name ?? 'carebridge', pid: process.pid },
    redact: { paths: [...REDACTED_PATHS], censor: '[redacted]' },
    // 'msg' carries our own sentences; message bodies never go there.
    messageKey: 'msg',
  };
  return destination ? pino(options, destination) : pino(options);
}
