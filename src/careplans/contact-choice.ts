/**
 * @module How to reach a patient for one activity: channel by preference (a preference extension,
 * else the best-ranked telecom), language (Patient.communication), time zone (the standard
 * timezone extension). Elderly patients who prefer the phone get a staff call instead of an SMS.
 */
import type { ContactPoint, Patient } from 'fhir/r4.js';
import { EXT_CONTACT_PREFERENCE, EXT_TIMEZONE } from './ids.js';
import { isValidTimeZone } from './local-time.js';
import { CHANNELS, type Channel } from './plan-schema.js';
import type { CarePlanDefinition } from './plan-types.js';

export interface ContactChoice {
  /** Digital channel to send on; absent when nobody can be reached that way. */
  readonly channel?: Channel;
  /** True when a staff member should call instead of a message being sent. */
  readonly staffCall: boolean;
  readonly language: string;
  readonly timeZone: string;
  /** Why no channel (for the not-done Communication). */
  readonly reason?: string;
}

export const DEFAULT_ELDERLY_AGE = 75;

function telecomChannel(t: ContactPoint): Channel | undefined {
  if (!t.value || t.period?.end && new Date(t.period.end) < new Date()) return undefined;
  if (t.use === 'old') return undefined;
  if (t.system === 'sms') return 'sms';
  if (t.system === 'email') return 'email';
  if (t.system === 'phone') return t.use === 'mobile' ? 'sms' : 'phone';
  if (t.system === 'url' || t.system === 'other') return 'app';
  return undefined;
}

/** Channels the patient can be reached on, best first (explicit preference, then telecom rank). */
export function preferredChannels(patient: Patient): Channel[] {
  const out: Channel[] = [];
  const pref = patient.extension?.find((e) => e.url === EXT_CONTACT_PREFERENCE)?.valueCode;
  if (pref && (CHANNELS as readonly string[]).includes(pref)) out.push(pref as Channel);
  const ranked = [...(patient.telecom ?? [])].sort((a, b) => (a.rank ?? Number.MAX_SAFE_INTEGER) - (b.rank ?? Number.MAX_SAFE_INTEGER));
  for (const t of ranked) {
    const c = telecomChannel(t);
    if (c && !out.includes(c)) out.push(c);
    // A mobile number can also take a voice call.
    if (t.system === 'phone' && t.use === 'mobile' && !out.includes('phone') && pref === 'phone') out.push('phone');
  }
  return out;
}

export function ageAt(patient: Patient, at: Date): number | undefined {
  if (!patient.birthDate) return undefined;
  const [y, m = 1, d = 1] = patient.birthDate.split('-').map(Number);
  let age = at.getUTCFullYear() - y!;
  if (at.getUTCMonth() + 1 < m || (at.getUTCMonth() + 1 === m && at.getUTCDate() < d)) age--;
  return age;
}

function languageOf(patient: Patient): string | undefined {
  const comms = patient.communication ?? [];
  const c = comms.find((x) => x.preferred) ?? comms[0];
  return c?.language.coding?.[0]?.code ?? c?.language.text;
}

export function chooseContact(patient: Patient | undefined, plan: CarePlanDefinition, at: Date): ContactChoice {
  const tzExt = patient?.extension?.find((e) => e.url === EXT_TIMEZONE)?.valueCode;
  const timeZone = tzExt && isValidTimeZone(tzExt) ? tzExt : plan.timeZone;
  const language = (patient && languageOf(patient)) ?? plan.language;
  if (!patient) return { staffCall: false, language, timeZone, reason: 'patient record not found' };
  if (patient.extension?.find((e) => e.url === EXT_CONTACT_PREFERENCE)?.valueCode === 'none') {
    return { staffCall: false, language, timeZone, reason: 'patient prefers not to be contacted' };
  }
  const channels = preferredChannels(patient);
  const first = channels[0];
  const age = ageAt(patient, at);
  if (first === 'phone' && age !== undefined && age >= (plan.elderlyAge ?? DEFAULT_ELDERLY_AGE)) return { staffCall: true, channel: 'phone', language, timeZone };
  const usable = channels.find((c) => plan.channels.includes(c));
  if (!usable) return { staffCall: false, language, timeZone, reason: channels.length ? `no contact point on an allowed channel (${plan.channels.join(', ')})` : 'no contact point on record' };
  // We do not place automated voice calls: a phone channel is a staff call.
  return { channel: usable, staffCall: usable === 'phone', language, timeZone };
}
