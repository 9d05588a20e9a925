/**
 * @module Appointment → HL7 v2.5.1 SIU (chapter 10): S12 new booking, S13 reschedule (start/end
 * moved), S14 other modification, S15 cancellation. MSH-10 is derived from the outbox row's
 * idempotency key, so every retry carries the same control id and the HIS can dedupe.
 * Segments: MSH, SCH, PID (from the referenced Patient), RGS, AIS.
 */
import { createHash } from 'node:crypto';
import type { Appointment, Identifier, Patient } from 'fhir/r4.js';
import { DEFAULT_DELIMITERS, encodeEscapes } from '../../hl7v2/index.js';
import type { OutboundPayload } from '../types.js';
import type { PayloadContext } from './payload-context.js';

type Field = string | readonly string[];

/** One segment: fields from 1; a field given as an array is joined as components (each escaped). */
export function segment(name: string, fields: readonly (Field | undefined)[]): string {
  const esc = (v: string) => encodeEscapes(v, DEFAULT_DELIMITERS);
  const parts = fields.map((f) => (f === undefined ? '' : typeof f === 'string' ? esc(f) : f.map((c) => esc(c ?? '')).join('^').replace(/\^+$/, '')));
  while (parts.length && parts[parts.length - 1] === '') parts.pop();
  return [name, ...parts].join('|');
}

/** FHIR instant/date → HL7 DTM in UTC ('YYYYMMDDHHMMSS+0000'), or the date as YYYYMMDD. */
export function hl7Time(value: string | undefined): string {
  if (!value) return '';
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return value.replace(/-/g, '');
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return '';
  return `${d.toISOString().replace(/[-:T]/g, '').slice(0, 14)}+0000`;
}

export function siuTrigger(change: PayloadContext['change']): 'S12' | 'S13' | 'S14' | 'S15' | undefined {
  const a = change.resource as Appointment;
  const prev = change.previous as Appointment | undefined;
  if (a.status === 'cancelled' || change.operation === 'delete') return prev?.status === 'cancelled' && change.operation !== 'delete' ? undefined : 'S15';
  if (a.status === 'noshow' || a.status === 'entered-in-error') return undefined;
  if (change.operation === 'create' || !prev) return 'S12';
  if (prev.start !== a.start || prev.end !== a.end) return 'S13';
  return 'S14';
}

export async function siuPayload(ctx: PayloadContext): Promise<OutboundPayload | undefined> {
  const a = ctx.change.resource as Appointment;
  const trigger = siuTrigger(ctx.change);
  if (!trigger) return undefined;
  const p = ctx.rule.payload;
  const controlId = `CB${createHash('sha1').update(ctx.key).digest('hex').slice(0, 18).toUpperCase()}`;
  const patientRef = a.participant?.find((x) => x.actor?.reference?.startsWith('Patient/'))?.actor?.reference;
  const patient = patientRef ? ((await ctx.resolve(patientRef)) as Patient | undefined) : undefined;
  const placer = a.identifier?.find((i) => i.value)?.value ?? a.id!;
  const minutes = a.minutesDuration ?? (a.start && a.end ? Math.round((Date.parse(a.end) - Date.parse(a.start)) / 60000) : undefined);
  const status = a.status === 'cancelled' ? 'Cancelled' : a.status === 'booked' ? 'Booked' : a.status === 'pending' || a.status === 'proposed' ? 'Pending' : a.status;
  const service = a.serviceType?.[0]?.coding?.[0];
  const segments = [
    segment('MSH', [
      undefined, // MSH-2, written below (encoding characters are not escaped); MSH-1 is the separator itself
      p.sendingApplication ?? 'CAREBRIDGE', p.sendingFacility ?? 'CRM', p.receivingApplication ?? 'HIS', p.receivingFacility ?? 'HOSPITAL',
      hl7Time(ctx.change.changedAt.toISOString()), undefined, ['SIU', trigger, 'SIU_S12'], controlId, 'P', p.version ?? '2.5.1',
    ]).replace(/^MSH\|\|/, 'MSH|^~\\&|'),
    segment('SCH', [
      [placer, 'CAREBRIDGE'], [a.id!, 'CAREBRIDGE'], undefined, undefined, undefined,
      [a.appointmentType?.coding?.[0]?.code ?? 'ROUTINE', a.appointmentType?.text ?? a.appointmentType?.coding?.[0]?.display ?? ''],
      [a.reasonCode?.[0]?.coding?.[0]?.code ?? '', a.reasonCode?.[0]?.text ?? a.description ?? ''],
      undefined, minutes === undefined ? undefined : String(minutes), minutes === undefined ? undefined : 'min',
      ['', '', minutes === undefined ? '' : `M${minutes}`, hl7Time(a.start), hl7Time(a.end)],
      ...Array(13).fill(undefined), status,
    ]),
    segment('PID', ['1', undefined, pidIdentifiers(patient?.identifier), undefined, [patient?.name?.[0]?.family ?? '', patient?.name?.[0]?.given?.[0] ?? '', patient?.name?.[0]?.given?.[1] ?? ''], undefined, hl7Time(patient?.birthDate), sex(patient?.gender)]),
    segment('RGS', ['1', trigger === 'S12' ? 'A' : trigger === 'S15' ? 'D' : 'U']),
    segment('AIS', ['1', trigger === 'S12' ? 'A' : trigger === 'S15' ? 'D' : 'U', [service?.code ?? '', service?.display ?? a.serviceType?.[0]?.text ?? ''], hl7Time(a.start), undefined, undefined, minutes === undefined ? undefined : String(minutes), minutes === undefined ? undefined : 'min']),
  ];
  return { kind: 'hl7v2', message: `${segments.join('\r')}\r`, controlId };
}

function pidIdentifiers(ids: Identifier[] | undefined): string[] {
  const id = ids?.find((i) => i.type?.coding?.some((c) => c.code === 'MR')) ?? ids?.[0];
  return id ? [id.value ?? '', '', '', id.assigner?.display ?? id.system ?? '', 'MR'] : [];
}

function sex(g: Patient['gender']): string | undefined {
  return g === 'male' ? 'M' : g === 'female' ? 'F' : g === 'other' ? 'O' : g === 'unknown' ? 'U' : undefined;
}
