/**
 * @module The numbers behind the dashboard's "care" cards (`GET /admin/api/care/summary`): active
 * plans, due/overdue activities, follow-up completion, no-shows after a reminder, urgent replies
 * waiting. Counts only — no patient data leaves this function.
 */
import type { Appointment, CarePlan } from 'fhir/r4.js';
import { sql, type AnyDb } from '../db/index.js';
import type { CareplanStore } from './store-port.js';
import { CODE_SYSTEM } from './ids.js';

export interface CareSummary {
  activeCarePlans: number;
  dueActivities: number;
  overdueActivities: number;
  /** sent (or handed to staff) / all done follow-ups; null before any. */
  followUpCompletionRate: number | null;
  /** no-show appointments / appointments a reminder went out for (latest 200); null before any. */
  reminderNoShowRate: number | null;
  urgentRepliesWaiting: number;
}

const count = async (store: CareplanStore, type: string, query: Record<string, string>) =>
  (await store.search(type, new URLSearchParams({ ...query, _summary: 'count' }))).total ?? 0;

export async function careSummary(db: AnyDb, store: CareplanStore, now: Date): Promise<CareSummary> {
  const overdueBefore = new Date(now.getTime() - 3_600_000);
  const { rows } = await sql<{ due: number; overdue: number; done_ok: number; done_all: number }>`
    select count(*) filter (where status = 'pending' and run_at <= ${now})::int as due,
           count(*) filter (where status in ('pending', 'claimed') and due_at < ${overdueBefore})::int as overdue,
           count(*) filter (where status in ('sent', 'task-created') and kind <> 'call')::int as done_ok,
           count(*) filter (where status in ('sent', 'task-created', 'not-done') and kind <> 'call')::int as done_all
      from careplan_activity`.execute(db);
  const r = rows[0]!;
  const { rows: reminded } = await sql<{ careplan_id: string }>`
    select careplan_id from careplan_activity where plan_id = 'appointment-reminders' and status = 'sent'
    group by careplan_id order by max(done_at) desc limit 200`.execute(db);
  let noShow = 0;
  let appointments = 0;
  for (const { careplan_id } of reminded) {
    const cp = await store.readOrUndefined<CarePlan>('CarePlan', careplan_id);
    const [type, id] = (cp?.supportingInfo?.[0]?.reference ?? '').split('/');
    if (type !== 'Appointment' || !id) continue;
    const appt = await store.readOrUndefined<Appointment>('Appointment', id);
    if (!appt) continue;
    appointments++;
    if (appt.status === 'noshow') noShow++;
  }
  return {
    activeCarePlans: await count(store, 'CarePlan', { status: 'active' }),
    dueActivities: r.due,
    overdueActivities: r.overdue,
    followUpCompletionRate: r.done_all ? r.done_ok / r.done_all : null,
    reminderNoShowRate: appointments ? noShow / appointments : null,
    urgentRepliesWaiting: await count(store, 'Task', { code: `${CODE_SYSTEM}|urgent-reply-review`, status: 'ready,requested,in-progress' }),
  };
}
