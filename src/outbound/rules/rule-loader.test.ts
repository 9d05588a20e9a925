import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Appointment } from 'fhir/r4.js';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../logging/index.js';
import { compileFile, loadOutboundRules } from './rule-loader.js';
import { createRuleRegistry } from './rule-registry.js';
import { candidateRules, isEcho, ruleApplies } from './rule-matcher.js';

const GOOD = `destination:
  name: hook
  channel: webhook
  url: \${HOOK_URL}
rules:
  - id: appt
    resourceType: Appointment
    when: status = 'booked'
    changed: status
    event: appointment.booked
`;

const logger = createLogger({ level: 'silent' });
const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe('outbound rule files', () => {
  it('rejects an unknown property with file and line', () => {
    const text = GOOD.replace('    event: appointment.booked', '    event: appointment.booked\n    colour: red');
    expect(() => compileFile('x.yaml', text, { HOOK_URL: 'http://h' })).toThrow(/^x\.yaml:6: rules\.0: unknown property "colour"/);
  });

  it('rejects bad FHIRPath with the line of the expression', () => {
    const text = GOOD.replace("when: status = 'booked'", "when: status = = 'booked'");
    expect(() => compileFile('x.yaml', text, { HOOK_URL: 'http://h' })).toThrow(/^x\.yaml:8: invalid FHIRPath in when/);
  });

  it('rejects YAML syntax errors with the line', () => {
    expect(() => compileFile('x.yaml', 'destination: [\n', {})).toThrow(/^x\.yaml:\d+: /);
  });

  it('names an unset variable, or disables the destination when it is listed in requiresEnv', () => {
    expect(() => compileFile('x.yaml', GOOD, {})).toThrow(/x\.yaml:4: environment variable HOOK_URL is not set/);
    const { destination } = compileFile('x.yaml', `requiresEnv: [HOOK_URL]\n${GOOD}`, {});
    expect(destination).toMatchObject({ enabled: false, disabledReason: 'set HOOK_URL to enable' });
  });

  it('matches type, FHIRPath and changed; skips echoes of the destination itself', () => {
    const { destination, rules } = compileFile('x.yaml', GOOD, { HOOK_URL: 'http://h' });
    const set = { destinations: [destination], rules, hash: 'h', loadedAt: new Date() };
    const base = { seq: 1, resourceType: 'Appointment', id: 'a1', versionId: 2, changedAt: new Date() } as const;
    const booked: Appointment = { resourceType: 'Appointment', id: 'a1', status: 'booked', participant: [] };
    const m = candidateRules(set, 'Appointment', 'update')[0]!;
    expect(ruleApplies(m, { ...base, operation: 'update', resource: booked, previous: { ...booked, status: 'pending' } as Appointment })).toBe(true);
    expect(ruleApplies(m, { ...base, operation: 'update', resource: booked, previous: booked })).toBe(false);
    expect(ruleApplies(m, { ...base, operation: 'update', resource: { ...booked, status: 'cancelled' } as Appointment })).toBe(false);
    expect(ruleApplies(m, { ...base, operation: 'create', resource: booked, source: { kind: 'outbound', destination: 'hook' } })).toBe(false);
    expect(isEcho(destination, { kind: 'outbound', destination: 'other' })).toBe(false);
    expect(candidateRules(set, 'Patient', 'update')).toEqual([]);
  });

  it('hot reload keeps the last good version when a file breaks, and takes the fixed one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cb-outbound-'));
    dirs.push(dir);
    await writeFile(join(dir, 'hook.yaml'), GOOD);
    const registry = await createRuleRegistry({ dir, vars: { HOOK_URL: 'http://h' }, logger, watch: false });
    expect(registry.current().rules.map((r) => r.id)).toEqual(['appt']);
    await writeFile(join(dir, 'hook.yaml'), GOOD.replace('resourceType: Appointment', 'resourceType: 42'));
    expect(await registry.reload()).toBe(false);
    expect(registry.lastError()).toMatch(/hook\.yaml:7: rules\.0\.resourceType: must be string/);
    expect(registry.current().rules.map((r) => r.id)).toEqual(['appt']);
    await writeFile(join(dir, 'hook.yaml'), GOOD.replace('id: appt', 'id: appt2'));
    expect(await registry.reload()).toBe(true);
    expect(registry.lastError()).toBeUndefined();
    expect(registry.current().rules.map((r) => r.id)).toEqual(['appt2']);
    registry.close();
  });

  it('loads the shipped rule files (CRM webhook disabled without its variables)', async () => {
    const set = await loadOutboundRules(new URL('../../../mappings/outbound', import.meta.url).pathname, {});
    const crm = set.destinations.find((d) => d.name === 'crm-webhook');
    expect(crm).toMatchObject({ enabled: false });
    const on = await loadOutboundRules(new URL('../../../mappings/outbound', import.meta.url).pathname, { CRM_WEBHOOK_URL: 'http://crm', CRM_WEBHOOK_SECRET: 'secret-123' });
    expect(on.destinations.find((d) => d.name === 'crm-webhook')).toMatchObject({ enabled: true, url: 'http://crm', secret: 'secret-123' });
    expect(on.rules.filter((r) => r.destination === 'crm-webhook').map((r) => r.event)).toContain('payment.posted');
  });
});
