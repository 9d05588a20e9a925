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

export interface ContactQuery {
  readonly patientRef: string;
  readonly purpose: string;
  readonly channel: string;
}

export interface ConsentService {
  mayContact(patientRef: string, purpose: string, channel: string, at?: Date): Promise<ContactDecision>;
  /**
   * The same decisions for many questions at one moment, reading the Consents of all their patients
   * with one search per few hundred patients (the care-plan scheduler asks for a whole batch).
   */
  mayContactMany(queries: readonly ContactQuery[], at?: Date): Promise<ContactDecision[]>;
}

export interface ConsentServiceOptions {
  readonly store: Pick<AuthStore, 'search'>;
  readonly defaultDecision?: 'permit' | 'deny';
}

/** Patients per Consent search in `mayContactMany`, and the page size it asks for. */
const PATIENTS_PER_SEARCH = 500;
const MANY_PAGE = 5000;

const patientRefOf = (patientRef: string) => (patientRef.includes('/') ? patientRef : `Patient/${patientRef}`);

export function createConsentService({ store, defaultDecision = 'deny' }: ConsentServiceOptions): ConsentService {
  const consentsOf = async (ref: string): Promise<Consent[]> => {
    const bundle = await store.search('Consent', new URLSearchParams({ patient: ref, _count: '1000' }));
    return (bundle.entry ?? [])
      .map((e) => e.resource)
      .filter((r): r is Consent => r?.resourceType === 'Consent' && r.patient?.reference === ref);
  };
  return {
    async mayContact(patientRef, purpose, channel, at = new Date()) {
      return decide(await consentsOf(patientRefOf(patientRef)), { purpose, channel, at }, defaultDecision);
    },
    async mayContactMany(queries, at = new Date()) {
      const refs = [...new Set(queries.map((q) => patientRefOf(q.patientRef)))];
      const byPatient = new Map<string, Consent[]>(refs.map((r) => [r, []]));
      for (let i = 0; i < refs.length; i += PATIENTS_PER_SEARCH) {
        const part = refs.slice(i, i + PATIENTS_PER_SEARCH);
        const bundle = await store.search('Consent', new URLSearchParams({ patient: part.join(','), _count: String(MANY_PAGE) }), { maxCount: MANY_PAGE });
        if (bundle.link?.some((l) => l.relation === 'next')) {
          // More Consents than one page holds: ask patient by patient, as mayContact does.
          for (const ref of part) byPatient.set(ref, await consentsOf(ref));
          continue;
        }
        for (const e of bundle.entry ?? []) {
          const r = e.resource;
          if (r?.resourceType === 'Consent' && r.patient?.reference) byPatient.get(r.patient.reference)?.push(r);
        }
      }
      return queries.map((q) => decide(byPatient.get(patientRefOf(q.patientRef)) ?? [], { purpose: q.purpose, channel: q.channel, at }, defaultDecision));
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
