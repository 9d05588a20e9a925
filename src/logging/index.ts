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

/**
 * A logger writing to `logger`'s destination with its level and base fields but without the
 * redaction pass. Only for lines whose every field the caller builds from values that cannot hold
 * patient data — the one line per HTTP request (method, route pattern, status, duration, resource
 * ids). Redaction puts each value of a line through every wildcard path of the list above: ~9 µs
 * a line in-process (10.9 against 1.5 µs), most of what a request line cost, to find nothing there.
 */
export function unredactedSibling(logger: Logger): Logger {
  const destination = (logger as unknown as Record<symbol, DestinationStream>)[pino.symbols.streamSym];
  // bindings() leaves out pid (pino's own rule); createLogger's base has it.
  return pino({ level: logger.level, base: { ...logger.bindings(), pid: process.pid }, messageKey: 'msg' }, destination);
}

