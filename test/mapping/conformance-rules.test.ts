/**
 * The documented difference rules of scripts/map-conformance.ts stay narrow: each explains a
 * disagreement only in the message situation its reason argues, never a look-alike elsewhere.
 */
import { describe, expect, it } from 'vitest';
import { DIFFERENCE_RULES, type Comparison } from '../../scripts/map-conformance.js';

type Context = Parameters<(typeof DIFFERENCE_RULES)[number]['applies']>[1];

function rule(id: string) {
  const r = DIFFERENCE_RULES.find((x) => x.id === id);
  if (!r) throw new Error(`no rule ${id}`);
  return r;
}

/** The context a rule sees, from the message's segments (one per line) and the two resources. */
function context(event: string, lines: string[], ours?: Record<string, unknown>, theirs?: Record<string, unknown>): Context {
  return { event, ours, theirs, segments: (id) => lines.filter((l) => l.startsWith(`${id}|`)).map((l) => l.split('|')) };
}

const comparison = (c: Partial<Comparison>): Comparison => ({ file: 'x', resource: 'Observation', field: 'value', ours: undefined, theirs: undefined, agree: false, paired: true, ...c });

describe('documented difference rules', () => {
  it('county-is-address-district: only when our one address carries PID-12 as district and their extra address is empty', () => {
    const lines = ['MSH|^~\\&|A|B|C|D|20260101||ADT^A04|1|P|2.5', 'PID|1||MRN1^^^H^MR||Doe^Jane||19700101|F|||1 Main St^^Fowl^CA^99999|COUNTY1'];
    const c = comparison({ resource: 'Patient', field: 'address', ours: '["fowl|99999"]', theirs: '["fowl|99999","|"]' });
    const r = rule('county-is-address-district');
    expect(r.applies(c, context('A04', lines, { address: [{ city: 'Fowl', postalCode: '99999', district: 'COUNTY1' }] }, {}))).toBe(true);
    expect(r.applies(c, context('A04', lines, { address: [{ city: 'Fowl', postalCode: '99999' }] }, {}))).toBe(false);
    const otherCity = comparison({ resource: 'Patient', field: 'address', ours: '["fowl|99999"]', theirs: '["fowl|99999","madison|53703"]' });
    expect(r.applies(otherCity, context('A04', lines, { address: [{ city: 'Fowl', district: 'COUNTY1' }] }, {}))).toBe(false);
  });

  it('obr-7-is-result-time: a result without OBX-14 under its OBR, not an order', () => {
    const lines = ['OBR|1|P1|F1|2345-7^Glucose^LN|||20261103080000+0100', 'OBX|1|NM|2345-7^Glucose^LN||5.4|mmol/L|||||F'];
    const c = comparison({ field: 'effective', ours: '2026-11-03T07:00:00.000Z', theirs: undefined });
    const ours = { code: { coding: [{ code: '2345-7' }] } };
    const r = rule('obr-7-is-result-time');
    expect(r.applies(c, context('R01', lines, ours, {}))).toBe(true);
    expect(r.applies(c, context('O21', lines, ours, {}))).toBe(false);
    const withObx14 = [lines[0]!, 'OBX|1|NM|2345-7^Glucose^LN||5.4|mmol/L|||||F|||20261103090000+0100'];
    expect(r.applies(c, context('R01', withObx14, ours, {}))).toBe(false);
  });

  it('date-value-they-drop: only a DT/TS/DTM OBX whose value is ours', () => {
    const ours = { code: { coding: [{ code: '29768-9' }] } };
    const r = rule('date-value-they-drop');
    const c = comparison({ ours: '2012-07-02' });
    expect(r.applies(c, context('V04', ['OBX|3|TS|29768-9^VIS published^LN|2|20120702||||||F'], ours, {}))).toBe(true);
    expect(r.applies(c, context('V04', ['OBX|3|ST|29768-9^VIS published^LN|2|20120702||||||F'], ours, {}))).toBe(false);
    expect(r.applies(comparison({ ours: '2012-07-03' }), context('V04', ['OBX|3|TS|29768-9^VIS published^LN|2|20120702||||||F'], ours, {}))).toBe(false);
  });

  it('mdm-body-is-document-content: Observations only they write, in MDM messages only', () => {
    const c = comparison({ paired: false, ours: undefined, theirs: 'text' });
    const r = rule('mdm-body-is-document-content');
    expect(r.applies(c, context('T02', ['MSH|^~\\&|A|B|C|D|20260101||MDM^T02^MDM_T02|1|P|2.5'], undefined, {}))).toBe(true);
    expect(r.applies(c, context('R01', ['MSH|^~\\&|A|B|C|D|20260101||ORU^R01^ORU_R01|1|P|2.5'], undefined, {}))).toBe(false);
    expect(r.applies(comparison({ ours: 'a', theirs: 'b' }), context('T02', ['MSH|^~\\&|A|B|C|D|20260101||MDM^T02^MDM_T02|1|P|2.5'], {}, {}))).toBe(false);
  });

  it('visit-without-identity: not when the PV1 has a visit number or the PID an account', () => {
    const c = comparison({ resource: 'Encounter', field: 'class', paired: false, theirs: 'AMB' });
    const r = rule('visit-without-identity');
    expect(r.applies(c, context('R22', ['PID|1||MRN1^^^H^MR', 'PV1|1|O|^^^BMGPED||||doc'], undefined, {}))).toBe(true);
    expect(r.applies(c, context('R22', ['PID|1||MRN1^^^H^MR', 'PV1|1|O|^^^BMGPED||||doc||||||||||||V1'], undefined, {}))).toBe(false);
    expect(r.applies(c, context('R22', ['PID|1||MRN1^^^H^MR|||||||||||||||ACC1', 'PV1|1|O|^^^BMGPED||||doc'], undefined, {}))).toBe(false);
  });
});
