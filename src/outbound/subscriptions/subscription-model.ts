/**
 * @module Reads an R4 Subscription into what delivery needs. Two styles:
 * - classic R4 (https://hl7.org/fhir/R4/subscription.html): `criteria` is a search (`Observation?code=…`);
 *   rest-hook with no payload → empty POST; with a payload → PUT [endpoint]/[type]/[id] with the resource.
 * - R4 Subscriptions Backport (http://hl7.org/fhir/uv/subscriptions-backport/): `criteria` is a
 *   SubscriptionTopic canonical, `_criteria` filters in the backport-filter-criteria extension,
 *   payload content (empty / id-only / full-resource) in the backport-payload-content extension,
 *   heartbeat period in backport-heartbeat-period; notifications are history Bundles whose first
 *   entry is a SubscriptionStatus Parameters.
 */
import type { Extension, Subscription } from 'fhir/r4.js';

const BACKPORT = 'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition';
export const EXT_FILTER = `${BACKPORT}/backport-filter-criteria`;
export const EXT_PAYLOAD = `${BACKPORT}/backport-payload-content`;
export const EXT_HEARTBEAT = `${BACKPORT}/backport-heartbeat-period`;

export type PayloadContent = 'empty' | 'id-only' | 'full-resource';

export interface SubscriptionSpec {
  readonly id: string;
  readonly status: Subscription['status'];
  readonly style: 'classic' | 'topic';
  /** classic: the resource type and query of `criteria`. */
  readonly criteria?: { readonly type: string; readonly query: string };
  /** topic: the canonical and the `_criteria` filters (each `Type?query`). */
  readonly topic?: string;
  readonly filters: ReadonlyArray<{ readonly type: string; readonly query: string }>;
  readonly endpoint: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly payload: PayloadContent;
  readonly contentType: string;
  readonly heartbeatSeconds?: number;
  readonly end?: string;
}

/** Undefined when the Subscription cannot be delivered by us (not rest-hook, no endpoint, bad criteria). */
export function readSubscription(s: Subscription): SubscriptionSpec | undefined {
  if (!s.id || s.channel?.type !== 'rest-hook' || !s.channel.endpoint || !/^https?:\/\//.test(s.channel.endpoint)) return undefined;
  const ext = (list: Extension[] | undefined, url: string) => list?.find((e) => e.url === url);
  const headers: Record<string, string> = {};
  for (const h of s.channel.header ?? []) {
    const i = h.indexOf(':');
    if (i > 0) headers[h.slice(0, i).trim().toLowerCase()] = h.slice(i + 1).trim();
  }
  const isTopic = /^https?:\/\/|^urn:/.test(s.criteria);
  const payloadExt = ext(s.channel.payload ? (s.channel as { _payload?: { extension?: Extension[] } })._payload?.extension : undefined, EXT_PAYLOAD)?.valueCode;
  const base = {
    id: s.id,
    status: s.status,
    endpoint: s.channel.endpoint,
    headers,
    contentType: s.channel.payload ?? 'application/fhir+json',
    end: s.end,
  };
  if (isTopic) {
    const filters = ((s as { _criteria?: { extension?: Extension[] } })._criteria?.extension ?? [])
      .filter((e) => e.url === EXT_FILTER && e.valueString)
      .map((e) => splitQuery(e.valueString!))
      .filter((q): q is { type: string; query: string } => q !== undefined);
    const heartbeat = ext(s.channel.extension, EXT_HEARTBEAT)?.valueUnsignedInt;
    return { ...base, style: 'topic', topic: s.criteria, filters, payload: (payloadExt as PayloadContent | undefined) ?? (s.channel.payload ? 'id-only' : 'empty'), heartbeatSeconds: heartbeat };
  }
  const criteria = splitQuery(s.criteria);
  if (!criteria) return undefined;
  return { ...base, style: 'classic', criteria, filters: [], payload: s.channel.payload ? 'full-resource' : 'empty' };
}

function splitQuery(text: string): { type: string; query: string } | undefined {
  const m = /^([A-Z][A-Za-z]+)(?:\?(.*))?$/.exec(text.trim());
  return m ? { type: m[1]!, query: m[2] ?? '' } : undefined;
}
