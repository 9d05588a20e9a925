/**
 * @module Configuration: one ajv schema over the environment, one defaults object, validated once
 * at boot and passed down. A bad value stops the server with one line naming the variable.
 */
import { createHash } from 'node:crypto';
import { Ajv } from 'ajv';
import cron from 'node-cron';
import { CarebridgeError } from '../errors/index.js';

/** Every environment variable carebridge reads, with its default. Documented in README. */
const ENV_SCHEMA = {
  type: 'object',
  properties: {
    PORT: { type: 'integer', minimum: 0, maximum: 65535, default: 8080 },
    HOST: { type: 'string', minLength: 1, default: '0.0.0.0' },
    MLLP_PORT: { type: 'integer', minimum: -1, maximum: 65535, default: 2575, description: '-1 disables the listener' },
    MLLP_HOST: { type: 'string', minLength: 1 },
    MLLP_MAX_FRAME_BYTES: { type: 'integer', minimum: 1024, default: 2 * 1024 * 1024 },
    MLLP_IDLE_TIMEOUT_MS: { type: 'integer', minimum: 0, default: 300_000 },
    MLLP_FRAME_TIMEOUT_MS: { type: 'integer', minimum: 0, default: 60_000, description: 'a started frame must complete within this' },
    MLLP_TLS_CERT: { type: 'string', minLength: 1 },
    MLLP_TLS_KEY: { type: 'string', minLength: 1 },
    MLLP_TLS_CA: { type: 'string', minLength: 1, description: 'client CA: set = mutual TLS' },
    HTTP_TLS_CERT: { type: 'string', minLength: 1 },
    HTTP_TLS_KEY: { type: 'string', minLength: 1 },
    HTTP_TLS_CA: { type: 'string', minLength: 1, description: 'client CA: set = POST /hl7v2 needs a client certificate it signed' },
    HL7_SENDERS_FILE: { type: 'string', minLength: 1 },
    HL7_MAX_ATTEMPTS: { type: 'integer', minimum: 1, default: 5 },
    HL7_RETRY_BACKOFF_MS: { type: 'integer', minimum: 1, default: 1000 },
    DATABASE_URL: { type: 'string', pattern: '^postgres(ql)?://' },
    DATABASE_POOL_SIZE: { type: 'integer', minimum: 1, maximum: 200, default: 10 },
    STATEMENT_TIMEOUT_MS: { type: 'integer', minimum: 0, default: 30_000 },
    DATA_DIR: { type: 'string', minLength: 1, default: './data' },
    MAPPINGS_DIR: { type: 'string', minLength: 1, default: './mappings' },
    CAREBRIDGE_ADMIN_TOKEN: { type: 'string', minLength: 16 },
    CAREBRIDGE_AUTH: { type: 'string', enum: ['on', 'off-i-understand-this-exposes-patient-data'], default: 'on' },
    PUBLIC_BASE_URL: { type: 'string', pattern: '^https?://' },
    LOG_LEVEL: { type: 'string', enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], default: 'info' },
    BODY_LIMIT_BYTES: { type: 'integer', minimum: 1024, default: 10 * 1024 * 1024 },
    RATE_LIMIT_PER_MINUTE: { type: 'integer', minimum: 0, default: 6000, description: '0 disables' },
    DEDUP_WINDOW_DAYS: { type: 'integer', minimum: 0, default: 7 },
    RAW_RETENTION_DAYS: { type: 'integer', minimum: 0, default: 0, description: '0 keeps raw bodies forever' },
    SCHEDULER_CRON: { type: 'string', minLength: 9, default: '* * * * *' },
    CAREPLAN_DEFAULT_TIMEZONE: { type: 'string', minLength: 1, default: 'UTC', description: 'IANA zone for quiet hours when neither the patient nor the plan file names one' },
    CRM_WEBHOOK_URL: { type: 'string', pattern: '^https?://' },
    CRM_WEBHOOK_SECRET: { type: 'string', minLength: 8 },
    WORKERS: { type: 'string', enum: ['on', 'off'], default: 'on', description: 'background consumers in this process' },
  },
  additionalProperties: true,
} as const;

export interface Config {
  readonly http: {
    readonly port: number; readonly host: string; readonly bodyLimit: number; readonly rateLimitPerMinute: number; readonly publicBaseUrl?: string;
    readonly tls?: { readonly certFile: string; readonly keyFile: string; readonly caFile?: string };
  };
  readonly mllp: {
    readonly port: number; readonly host: string; readonly maxFrameBytes: number; readonly idleTimeoutMs: number; readonly frameTimeoutMs: number;
    readonly tls?: { readonly certFile: string; readonly keyFile: string; readonly caFile?: string };
  };
  readonly database: { readonly url?: string; readonly dataDir: string; readonly poolSize: number; readonly statementTimeoutMs: number };
  readonly mappingsDir: string;
  /** Only the sha256 digest (hex) of CAREBRIDGE_ADMIN_TOKEN is kept, never the token itself. */
  readonly auth: { readonly enabled: boolean; readonly adminTokenSha256?: string };
  readonly logLevel: string;
  readonly intake: { readonly dedupWindowDays: number; readonly rawRetentionDays: number; readonly sendersFile?: string; readonly maxAttempts: number; readonly backoffMs: number };
  readonly scheduler: { readonly cron: string; readonly defaultTimeZone: string };
  readonly crmWebhook?: { readonly url: string; readonly secret: string };
  readonly workers: boolean;
}

type Env = Record<string, string | undefined>;

const ajv = new Ajv({ coerceTypes: true, useDefaults: true, allErrors: false, strict: false });
const validateEnv = ajv.compile(ENV_SCHEMA);

export function loadConfig(env: Env = process.env): Config {
  const known = Object.keys(ENV_SCHEMA.properties);
  // Empty strings count as unset, the way shells and compose files usually mean them.
  const input: Record<string, string> = {};
  for (const key of known) {
    const v = env[key];
    if (v !== undefined && v !== '') input[key] = v;
  }
  if (!validateEnv(input)) {
    const e = validateEnv.errors?.[0];
    const name = e?.instancePath.replace(/^\//, '') || String(e?.params && (e.params as { missingProperty?: string }).missingProperty);
    throw new CarebridgeError('CB_ERR_CONFIG', `invalid environment variable ${name}=${JSON.stringify(env[name] ?? '')}: ${e?.message ?? 'invalid'}`);
  }
  const v = input as unknown as Record<string, string | number | undefined>;
  const str = (k: string) => v[k] as string | undefined;
  const num = (k: string) => v[k] as number;
  if ((str('MLLP_TLS_CERT') === undefined) !== (str('MLLP_TLS_KEY') === undefined)) {
    throw new CarebridgeError('CB_ERR_CONFIG', 'invalid environment variable MLLP_TLS_KEY: MLLP_TLS_CERT and MLLP_TLS_KEY must be set together');
  }
  if ((str('HTTP_TLS_CERT') === undefined) !== (str('HTTP_TLS_KEY') === undefined)) {
    throw new CarebridgeError('CB_ERR_CONFIG', 'invalid environment variable HTTP_TLS_KEY: HTTP_TLS_CERT and HTTP_TLS_KEY must be set together');
  }
  if (str('HTTP_TLS_CA') !== undefined && str('HTTP_TLS_CERT') === undefined) {
    throw new CarebridgeError('CB_ERR_CONFIG', 'invalid environment variable HTTP_TLS_CA: needs HTTP_TLS_CERT and HTTP_TLS_KEY (client certificates are checked only over TLS)');
  }
  if (str('MLLP_TLS_CA') !== undefined && str('MLLP_TLS_CERT') === undefined) {
    throw new CarebridgeError('CB_ERR_CONFIG', 'invalid environment variable MLLP_TLS_CA: needs MLLP_TLS_CERT and MLLP_TLS_KEY (client certificates are checked only over TLS)');
  }
  if ((str('CRM_WEBHOOK_URL') === undefined) !== (str('CRM_WEBHOOK_SECRET') === undefined)) {
    throw new CarebridgeError('CB_ERR_CONFIG', 'invalid environment variable CRM_WEBHOOK_SECRET: CRM_WEBHOOK_URL and CRM_WEBHOOK_SECRET must be set together');
  }
  if (!cron.validate(str('SCHEDULER_CRON')!)) {
    throw new CarebridgeError('CB_ERR_CONFIG', `invalid environment variable SCHEDULER_CRON=${JSON.stringify(str('SCHEDULER_CRON'))}: not a cron expression`);
  }
  try {
    new Intl.DateTimeFormat('en', { timeZone: str('CAREPLAN_DEFAULT_TIMEZONE') });
  } catch {
    throw new CarebridgeError('CB_ERR_CONFIG', `invalid environment variable CAREPLAN_DEFAULT_TIMEZONE=${JSON.stringify(str('CAREPLAN_DEFAULT_TIMEZONE'))}: not an IANA time zone`);
  }
  return {
    http: {
      port: num('PORT'), host: str('HOST')!, bodyLimit: num('BODY_LIMIT_BYTES'), rateLimitPerMinute: num('RATE_LIMIT_PER_MINUTE'), publicBaseUrl: str('PUBLIC_BASE_URL'),
      tls: str('HTTP_TLS_CERT') ? { certFile: str('HTTP_TLS_CERT')!, keyFile: str('HTTP_TLS_KEY')!, caFile: str('HTTP_TLS_CA') } : undefined,
    },
    mllp: {
      port: num('MLLP_PORT'), host: str('MLLP_HOST') ?? str('HOST')!, maxFrameBytes: num('MLLP_MAX_FRAME_BYTES'), idleTimeoutMs: num('MLLP_IDLE_TIMEOUT_MS'), frameTimeoutMs: num('MLLP_FRAME_TIMEOUT_MS'),
      tls: str('MLLP_TLS_CERT') ? { certFile: str('MLLP_TLS_CERT')!, keyFile: str('MLLP_TLS_KEY')!, caFile: str('MLLP_TLS_CA') } : undefined,
    },
    database: { url: str('DATABASE_URL'), dataDir: str('DATA_DIR')!, poolSize: num('DATABASE_POOL_SIZE'), statementTimeoutMs: num('STATEMENT_TIMEOUT_MS') },
    mappingsDir: str('MAPPINGS_DIR')!,
    auth: { enabled: str('CAREBRIDGE_AUTH') === 'on', adminTokenSha256: sha256Hex(str('CAREBRIDGE_ADMIN_TOKEN')) },
    logLevel: str('LOG_LEVEL')!,
    intake: { dedupWindowDays: num('DEDUP_WINDOW_DAYS'), rawRetentionDays: num('RAW_RETENTION_DAYS'), sendersFile: str('HL7_SENDERS_FILE'), maxAttempts: num('HL7_MAX_ATTEMPTS'), backoffMs: num('HL7_RETRY_BACKOFF_MS') },
    scheduler: { cron: str('SCHEDULER_CRON')!, defaultTimeZone: str('CAREPLAN_DEFAULT_TIMEZONE')! },
    crmWebhook: str('CRM_WEBHOOK_URL') ? { url: str('CRM_WEBHOOK_URL')!, secret: str('CRM_WEBHOOK_SECRET')! } : undefined,
    workers: str('WORKERS') === 'on',
  };
}

function sha256Hex(value: string | undefined): string | undefined {
  return value === undefined ? undefined : createHash('sha256').update(value, 'utf8').digest('hex');
}

/** The documented variables, for `carebridge --help` and the README check. */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(ENV_SCHEMA.properties);
