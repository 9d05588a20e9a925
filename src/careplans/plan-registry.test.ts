import { mkdtemp, readFile, rm, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../logging/index.js';
import { loadPlanRegistry, type PlanRegistry } from './plan-registry.js';

const SHIPPED = new URL('../../mappings/careplans/', import.meta.url).pathname;
const logger = createLogger({ level: 'silent' });
const opts = { logger, defaultTimeZone: 'Asia/Shanghai', watch: false } as const;

describe('care-plan definitions', () => {
  let dir: string;
  let registry: PlanRegistry | undefined;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cb-plans-'));
  });
  afterEach(async () => {
    registry?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('loads every shipped file without a problem', async () => {
    registry = await loadPlanRegistry(SHIPPED, opts);
    expect(registry.problems()).toEqual([]);
    expect(registry.plans().map((p) => p.id).sort()).toEqual(['appointment-reminders', 'diabetes-enrolment', 'discharge-satisfaction-survey', 'post-op-follow-up']);
    const postOp = registry.plan('post-op-follow-up')!;
    expect(postOp.activities.map((a) => a.offset)).toEqual(['+3d', '+7d', '+30d']);
    expect(postOp.trigger.resourceType).toBe('Encounter');
    expect(registry.triageRules().some((r) => r.level === 'urgent')).toBe(true);
  });

  it('refuses a bad offset with file:line and reason', async () => {
    const text = (await readFile(join(SHIPPED, 'post-op-follow-up.yaml'), 'utf8')).replace('offset: +7d', 'offset: +7 days');
    await writeFile(join(dir, 'post-op.yaml'), text);
    registry = await loadPlanRegistry(dir, opts);
    const line = text.split('\n').findIndex((l) => l.includes('+7 days')) + 1;
    expect(registry.problems()[0]!.message).toContain(`post-op.yaml:${line}: /activities/1/offset: must match pattern`);
    expect(registry.plans()).toEqual([]);
  });

  it('reports FHIRPath syntax errors, undeclared %variables and unknown placeholders at their lines', async () => {
    await writeFile(
      join(dir, 'bad.yaml'),
      [
        'id: bad',
        'title: Bad',
        'trigger:',
        '  resourceType: Encounter',
        "  condition: status = = 'finished' and %procedures.exists()",
        '  subject: subject',
        '  anchor: period.end',
        'activities:',
        '  - id: a',
        '    offset: +1d',
        '    kind: message',
        '    templates:',
        '      en: "Hi {{patient.nickname}}"',
      ].join('\n'),
    );
    registry = await loadPlanRegistry(dir, opts);
    const msg = registry.problems()[0]!.message;
    expect(msg).toMatch(/bad\.yaml:5: trigger\.condition: FHIRPath does not parse/);
    expect(msg).toContain('bad.yaml:5: trigger.condition: %procedures is not declared under trigger.context');
    expect(msg).toContain('bad.yaml:13: activities[0].templates.en: unknown placeholder {{patient.nickname}}');
  });

  it('keeps the last good version serving when a file breaks, and takes the fix', async () => {
    const good = await readFile(join(SHIPPED, 'appointment-reminders.yaml'), 'utf8');
    await writeFile(join(dir, 'reminders.yaml'), good);
    registry = await loadPlanRegistry(dir, opts);
    expect(registry.plan('appointment-reminders')!.activities).toHaveLength(2);

    await writeFile(join(dir, 'reminders.yaml'), good.replace('kind: message', 'kind: carrier-pigeon'));
    const report = await registry.reload();
    expect(report.refused[0]!.message).toMatch(/reminders\.yaml:\d+: \/activities\/0\/kind: must be one of message, call, questionnaire/);
    expect(registry.plan('appointment-reminders')!.activities[0]!.kind).toBe('message');

    await writeFile(join(dir, 'reminders.yaml'), good.replace('offset: -2h', 'offset: -3h'));
    await registry.reload();
    expect(registry.problems()).toEqual([]);
    expect(registry.plan('appointment-reminders')!.activities[1]!.offset).toBe('-3h');
  });

  it('reloads by itself when a watched file changes', async () => {
    const good = await readFile(join(SHIPPED, 'appointment-reminders.yaml'), 'utf8');
    await writeFile(join(dir, 'reminders.yaml'), good);
    registry = await loadPlanRegistry(dir, { ...opts, watch: true });
    await writeFile(join(dir, 'reminders.yaml'), good.replace('offset: -48h', 'offset: -24h'));
    await vi.waitFor(() => expect(registry!.plan('appointment-reminders')!.activities[0]!.offset).toBe('-24h'), { timeout: 5000, interval: 50 });
  });

  it('refuses a second file with the same plan id', async () => {
    const good = await readFile(join(SHIPPED, 'appointment-reminders.yaml'), 'utf8');
    await writeFile(join(dir, 'a.yaml'), good);
    await writeFile(join(dir, 'b.yaml'), good);
    registry = await loadPlanRegistry(dir, opts);
    expect(registry.plans()).toHaveLength(1);
    expect(registry.problems()[0]!.message).toContain('b.yaml:1: plan id "appointment-reminders" is already defined in a.yaml');
    expect(await readdir(dir)).toHaveLength(2);
  });

  it('refuses triage files with unknown levels at their line', async () => {
    await writeFile(join(dir, 'triage-x.yaml'), 'rules:\n  - id: r\n    level: panic\n    keywords: { en: [x] }\n');
    registry = await loadPlanRegistry(dir, opts);
    expect(registry.problems()[0]!.message).toContain('triage-x.yaml:3: /rules/0/level: must be one of urgent, routine, recovered');
  });
});
