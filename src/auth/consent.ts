/**
 * @module mayContact: may we contact this patient, for this purpose, over this channel, at this
 * time? Reads the patient's R4 Consent resources through the store.
 *
 * How a Consent is read (documented in README "Consent"):
 * - only `status = active` Consents of the patient count; `dateTime` after `at` → not yet given;
 * - the root provision applies when its `period` covers `at` and its `purpose` / `code` (when
 *   present) match; its `type` (permit | deny, default deny) is the base decision;
 * - nested provisions that match override it (exceptions), deeper ones override shallower;
 * - purpose matches `provision.purpose[].code` (or `system|code`); channel matches a coding code in
 *   `provision.code[]` (ContactPoint system codes: email, sms, phone …);
 * - several applicable Consents: the most recent (`dateTime`, else meta.lastUpdated) wins;
 * - none applicable (absent or expired): the default, DENY — carebridge contacts only patients who
 *   said yes (opt-in). `createConsentService({ defaultDecision: 'permit' })` changes that.
 */
import type { Coding, Consent, ConsentProvision } from 'fhir/r4.js';
import type { AuthStore } from './types.js';

export interface ContactDecision {
  readonly allowed: boolean;
  /** 'permit' | 'deny' (a Consent decided) or 'no-consent' (the default applied). */
  readonly reason: 'permit' | 'deny' | 'no-consent';
  readonly consentId?: string;
}

export interface ConsentService {
  mayContact(patientRef: string, purpose: string, channel: string, at?: Date): Promise<ContactDecision>;
}

export interface ConsentServiceOptions {
  readonly store: Pick<AuthStore, 'search'>;
  readonly defaultDecision?: 'permit' | 'deny';
}

export function createConsentService({ store, defaultDecision = 'deny' }: ConsentServiceOptions): ConsentService {
  return {
    async mayContact(patientRef, purpose, channel, at = new Date()) {
      const ref = patientRef.includes('/') ? patientRef : `Patient/${patientRef}`;
      const bundle = await store.search('Consent', new URLSearchParams({ patient: ref, _count: '1000' }));
      const consents = (bundle.entry ?? [])
        .map((e) => e.resource)
        .filter((r): r is Consent => r?.resourceType === 'Consent' && r.patient?.reference === ref);
      return decide(consents, { purpose, channel, at }, defaultDecision);
    },
  };
}

/** Same as `createConsentService({ store }).mayContact(...)`. */
export function mayContact(store: Pick<AuthStore, 'search'>, patientRef: string, purpose: string, channel: string, at?: Date): Promise<ContactDecision> {
  return createConsentService({ store }).mayContact(patientRef, purpose, channel, at);
}

interface Context {
  readonly purpose: string;
  readonly channel: string;
  readonly at: Date;
}

export function decide(consents: readonly Consent[], ctx: Context, defaultDecision: 'permit' | 'deny'): ContactDecision {
  const applicable = consents
    .filter((c) => c.status === 'active' && (!c.dateTime || new Date(c.dateTime) <= ctx.at))
    .map((c) => ({ c, type: provisionDecision(c.provision ?? {}, ctx) }))
    .filter((x): x is { c: Consent; type: 'permit' | 'deny' } => x.type !== undefined)
    .sort((a, b) => recency(b.c) - recency(a.c));
  const winner = applicable[0];
  if (!winner) return { allowed: defaultDecision === 'permit', reason: 'no-consent' };
  return { allowed: winner.type === 'permit', reason: winner.type, ...(winner.c.id ? { consentId: winner.c.id } : {}) };
}

function provisionDecision(p: ConsentProvision, ctx: Context, inherited: 'permit' | 'deny' = 'deny'): 'permit' | 'deny' | undefined {
  if (!provisionMatches(p, ctx)) return undefined;
  let decision = p.type ?? inherited;
  for (const nested of p.provision ?? []) {
    const d = provisionDecision(nested, ctx, decision);
    if (d !== undefined) decision = d;
  }
  return decision;
}

function provisionMatches(p: ConsentProvision, ctx: Context): boolean {
  if (p.period) {
    if (p.period.start && new Date(p.period.start) > ctx.at) return false;
    if (p.period.end && new Date(p.period.end) < ctx.at) return false;
  }
  if (p.purpose?.length && !p.purpose.some((c) => codingMatches(c, ctx.purpose))) return false;
  if (p.code?.length && !p.code.some((cc) => (cc.coding ?? []).some((c) => codingMatches(c, ctx.channel)))) return false;
  return true;
}

function codingMatches(c: Coding, wanted: string): boolean {
  const bar = wanted.indexOf('|');
  if (bar < 0) return c.code === wanted;
  return c.system === wanted.slice(0, bar) && c.code === wanted.slice(bar + 1);
}

function recency(c: Consent): number {
  const t = c.dateTime ?? c.meta?.lastUpdated;
  return t ? new Date(t).getTime() : 0;
}
