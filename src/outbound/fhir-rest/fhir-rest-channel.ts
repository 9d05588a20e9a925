/**
 * @module The FHIR REST channel: conditional updates (`PUT Type?identifier=…`) against a FHIR base
 * URL, or transaction / batch Bundles. Rows batched by the worker are merged into one Bundle; a
 * batch answer is read entry by entry (each row settles on its own entry's status), a transaction
 * succeeds or fails as a whole.
 */
import type { Bundle, BundleEntry } from 'fhir/r4.js';
import type { Channel } from '../channel.js';
import { attemptHttp } from '../http-delivery.js';
import type { DeliveryOutcome, OutboxMessage } from '../types.js';
import { IDEMPOTENCY_HEADER } from '../webhook/signature.js';

export interface FhirRestChannelOptions {
  /** FHIR base, e.g. https://fhir.example.org/r4 */
  readonly baseUrl: string;
  readonly bearerToken?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export function createFhirRestChannel(o: FhirRestChannelOptions): Channel {
  const base = o.baseUrl.replace(/\/+$/, '');
  const headers = (key: string): Record<string, string> => ({
    ...o.headers,
    'content-type': 'application/fhir+json',
    accept: 'application/fhir+json',
    'user-agent': 'carebridge-outbound',
    [IDEMPOTENCY_HEADER]: key,
    ...(o.bearerToken ? { authorization: `Bearer ${o.bearerToken}` } : {}),
  });
  const send = async (m: OutboxMessage, signal: AbortSignal): Promise<DeliveryOutcome> => {
    if (m.payload.kind !== 'http') return { kind: 'reject', error: `fhir-rest cannot send a ${m.payload.kind} payload` };
    const url = m.payload.path ? `${base}/${m.payload.path}` : base;
    return (await attemptHttp({ url, method: m.payload.method ?? 'PUT', headers: headers(m.idempotencyKey), body: m.payload.body, signal })).outcome;
  };
  return {
    kind: 'fhir-rest',
    send,
    async sendBatch(messages, signal) {
      const bundles = messages.map((m) => (m.payload.kind === 'http' && m.payload.method === 'POST' ? (JSON.parse(m.payload.body) as Bundle) : undefined));
      const type = bundles[0]?.type;
      // Only same-type bundles merge; anything else goes one by one.
      if (!type || bundles.some((b) => b?.type !== type)) return Promise.all(messages.map((m) => send(m, signal)));
      const merged: Bundle = { resourceType: 'Bundle', type, entry: bundles.flatMap((b) => b!.entry ?? []) };
      const key = messages.map((m) => m.idempotencyKey).join(',').slice(0, 512);
      const { outcome, responseBody } = await attemptHttp({ url: base, method: 'POST', headers: headers(key), body: JSON.stringify(merged), signal });
      if (outcome.kind !== 'delivered' || type === 'transaction') return messages.map(() => outcome);
      const entries = (safeJson(responseBody) as Bundle | undefined)?.entry ?? [];
      let i = 0;
      return bundles.map((b) => {
        const mine = entries.slice(i, (i += b!.entry?.length ?? 0));
        return entryOutcome(mine);
      });
    },
  };
}

function entryOutcome(entries: BundleEntry[]): DeliveryOutcome {
  for (const e of entries) {
    const status = Number.parseInt(e.response?.status ?? '0', 10);
    if (status >= 200 && status < 300) continue;
    const response = JSON.stringify(e.response?.outcome ?? e.response ?? {}).slice(0, 2000);
    if (status === 408 || status === 429 || status >= 500 || status === 0) return { kind: 'retry', error: `batch entry HTTP ${status}`, status, response };
    return { kind: 'reject', error: `batch entry HTTP ${status}`, status, response };
  }
  return { kind: 'delivered', status: 200 };
}

function safeJson(text: string | undefined): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}
