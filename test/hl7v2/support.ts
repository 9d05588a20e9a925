/** Test messages and small helpers for the hl7v2 intake suites. */
import type { AnyDb } from '../../src/db/index.js';
import { sql } from '../../src/db/index.js';

export interface AdtOptions {
  readonly event?: string;
  readonly mrn?: string;
  readonly sender?: string;
  readonly facility?: string;
  readonly acceptAck?: string;
  readonly appAck?: string;
  readonly version?: string;
}

/** A small ADT message with a unique control id. */
export function adt(controlId: string, o: AdtOptions = {}): string {
  const event = o.event ?? 'A01';
  const msh = ['MSH', '^~\\&', o.sender ?? 'HIS', o.facility ?? 'NWH', 'CAREBRIDGE', 'CB', '20240115083000', '', `ADT^${event}^ADT_A01`, controlId, 'P', o.version ?? '2.5.1', '', '', o.acceptAck ?? '', o.appAck ?? ''].join('|').replace(/\|+$/, '');
  return [msh, `EVN|${event}|20240115083000`, `PID|1||${o.mrn ?? 'MRN1'}^^^NWH^MR||Doe^Jane||19800101|F`, 'PV1|1|I|W1^101^1'].join('\r') + '\r';
}

export interface InboxRowView {
  id: number;
  control_id: string;
  status: string;
  duplicates: number;
  ack_code: string | null;
  raw: Uint8Array | null;
  error_code: string | null;
  patient_key: string | null;
  attempts: number;
}

export async function inboxRows(db: AnyDb, where = sql`true`): Promise<InboxRowView[]> {
  const r = await sql<InboxRowView>`select id, control_id, status, duplicates, ack_code, raw, error_code, patient_key, attempts from hl7_inbox where ${where} order by id`.execute(db);
  return r.rows;
}

export async function waitFor<T>(fn: () => Promise<T | undefined | false>, timeoutMs = 20_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const msa = (ack: string, field: number) => ack.split('\r').find((s) => s.startsWith('MSA'))?.split('|')[field];
