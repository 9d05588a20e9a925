/**
 * @module The CRM channel (Salesforce-Health-Cloud style): rows' upsert subrequests are packed into
 * composite requests (`POST /services/data/v59.0/composite`, allOrNone false) of at most 30
 * subrequests — the CRM's limit — and each row settles on its own subrequests' status codes. The
 * "≤ 5 concurrent requests" limit is the destination's concurrency (the loader refuses more).
 */
import type { Channel } from '../channel.js';
import { attemptHttp } from '../http-delivery.js';
import { CRM_API, type CrmSubrequest } from '../payload/crm-payload.js';
import type { DeliveryOutcome, OutboxMessage } from '../types.js';
import { IDEMPOTENCY_HEADER, SIGNATURE_HEADER, signPayload } from '../webhook/signature.js';

export const CRM_MAX_SUBREQUESTS = 30;

export interface CrmChannelOptions {
  readonly instanceUrl: string;
  readonly bearerToken?: string;
  readonly secret?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

interface CompositeAnswer {
  compositeResponse?: Array<{ referenceId: string; httpStatusCode: number; body?: unknown }>;
}

export function createCrmChannel(o: CrmChannelOptions): Channel {
  const url = `${o.instanceUrl.replace(/\/+$/, '')}${CRM_API}/composite`;

  async function post(rows: readonly OutboxMessage[], signal: AbortSignal): Promise<DeliveryOutcome[]> {
    const perRow = rows.map((r) => (r.payload.kind === 'http' ? (JSON.parse(r.payload.body) as CrmSubrequest[]) : []));
    const body = JSON.stringify({ allOrNone: false, compositeRequest: perRow.flat() });
    const headers: Record<string, string> = {
      ...o.headers,
      'content-type': 'application/json',
      'user-agent': 'carebridge-outbound',
      [IDEMPOTENCY_HEADER]: rows.map((r) => r.idempotencyKey).join(',').slice(0, 512),
      ...(o.bearerToken ? { authorization: `Bearer ${o.bearerToken}` } : {}),
      ...(o.secret ? { [SIGNATURE_HEADER]: signPayload(o.secret, body, Math.floor(Date.now() / 1000)) } : {}),
    };
    const { outcome, responseBody } = await attemptHttp({ url, method: 'POST', headers, body, signal });
    if (outcome.kind !== 'delivered') return rows.map(() => outcome);
    let answer: CompositeAnswer;
    try {
      answer = JSON.parse(responseBody ?? '{}') as CompositeAnswer;
    } catch {
      return rows.map(() => ({ kind: 'retry', error: 'composite answer is not JSON' }));
    }
    const byRef = new Map((answer.compositeResponse ?? []).map((r) => [r.referenceId, r]));
    return perRow.map((subs): DeliveryOutcome => {
      for (const s of subs) {
        const r = byRef.get(s.referenceId);
        if (!r) return { kind: 'retry', error: `no composite answer for ${s.referenceId}` };
        if (r.httpStatusCode >= 200 && r.httpStatusCode < 300) continue;
        const response = JSON.stringify(r.body ?? null).slice(0, 2000);
        const retry = r.httpStatusCode === 408 || r.httpStatusCode === 429 || r.httpStatusCode >= 500;
        return retry ? { kind: 'retry', error: `CRM ${r.httpStatusCode}`, status: r.httpStatusCode, response } : { kind: 'reject', error: `CRM ${r.httpStatusCode}`, status: r.httpStatusCode, response };
      }
      return { kind: 'delivered', status: 200 };
    });
  }

  return {
    kind: 'crm',
    async send(m, signal) {
      return (await post([m], signal))[0]!;
    },
    async sendBatch(messages, signal) {
      // Pack whole rows into composite calls of ≤ 30 subrequests; a row is never split.
      const out: DeliveryOutcome[] = [];
      let group: OutboxMessage[] = [];
      let size = 0;
      const flush = async () => {
        if (group.length) out.push(...(await post(group, signal)));
        group = [];
        size = 0;
      };
      for (const m of messages) {
        const n = m.payload.kind === 'http' ? (JSON.parse(m.payload.body) as unknown[]).length : 0;
        if (size + n > CRM_MAX_SUBREQUESTS) await flush();
        group.push(m);
        size += n;
      }
      await flush();
      return out;
    },
  };
}
