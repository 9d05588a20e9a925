/**
 * @module The generic webhook channel: POSTs the payload body to a URL, signed with the
 * destination's secret, with an Idempotency-Key header that stays the same on every retry.
 */
import type { Channel } from '../channel.js';
import { attemptHttp } from '../http-delivery.js';
import type { DeliveryOutcome, OutboxMessage } from '../types.js';
import { IDEMPOTENCY_HEADER, SIGNATURE_HEADER, signPayload } from './signature.js';

export interface WebhookChannelOptions {
  readonly url: string;
  /** HMAC key; without one the request is sent unsigned. */
  readonly secret?: string;
  /** Extra fixed headers (e.g. an API key the receiver wants). */
  readonly headers?: Readonly<Record<string, string>>;
  readonly now?: () => Date;
}

export function createWebhookChannel(o: WebhookChannelOptions): Channel {
  const now = o.now ?? (() => new Date());
  return {
    kind: 'webhook',
    async send(message: OutboxMessage, signal: AbortSignal): Promise<DeliveryOutcome> {
      if (message.payload.kind !== 'http') return { kind: 'reject', error: `webhook cannot send a ${message.payload.kind} payload` };
      const body = message.payload.body;
      const headers: Record<string, string> = {
        ...o.headers,
        ...message.payload.headers,
        'content-type': message.payload.contentType,
        'user-agent': 'carebridge-outbound',
        [IDEMPOTENCY_HEADER]: message.idempotencyKey,
        'x-carebridge-delivery': String(message.id),
        'x-carebridge-attempt': String(message.attempt),
      };
      if (o.secret) headers[SIGNATURE_HEADER] = signPayload(o.secret, body, Math.floor(now().getTime() / 1000));
      const url = message.payload.path ? new URL(message.payload.path, o.url.endsWith('/') ? o.url : `${o.url}/`).toString() : o.url;
      const { outcome } = await attemptHttp({ url, method: message.payload.method ?? 'POST', headers, body, signal });
      return outcome;
    },
  };
}
