/**
 * Maps are compiled into generated JavaScript (codegen.ts): constants from mapping files must
 * reach the output as data, never as code. A map full of quotes, backticks, comment ends, line
 * separators and `${…}` must map exactly those strings, and the generated source must not
 * contain them raw.
 */
import { mkdtempSync, rmSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Patient } from 'fhir/r4.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MappingSet } from '../mapping-set.js';
import { adtWithPid, loadMappingSet, writeMappingFiles } from './test-support.js';

/** Everything that could end a string, template, comment or line in generated source. */
const HOSTILE = 'q" \' ` */ /* \u2028 \u2029 \n \\ ${process.exit(1)} </script> "); throw 1; ("';
/** The same without HL7 delimiters (| ^ ~ \ &) and line ends, so a message can carry it. */
const IN_MESSAGE = 'q" \' ` */ /* \u2028 ${x} </script> "); throw 1; ("';

/** Template text (pasted into generated source as a literal): HOSTILE without braces, which would be paths. */
const TEMPLATE_TEXT = 'q" \' ` */ /* \u2028 \u2029 \n \\ $x </script> "); throw 1; ("';

/** A YAML double-quoted scalar (JSON with the separators escaped, which YAML 1.1 treats as line breaks). */
const yaml = (s: string): string => JSON.stringify(s).replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');

const files: Record<string, string> = {
  'messages/test-adt.yaml': `
kind: message
id: test-adt
match: { type: ADT, events: [A01] }
constants:
  hostile: ${yaml(HOSTILE)}
resources:
  - key: patient
    map: test-patient
`,
  'segments/test-patient.yaml': `
kind: segment
id: test-patient
segment: PID
resource: Patient
identity:
  system: { const: ${yaml(HOSTILE)} }
  value: { from: 3 }
rules:
  - to: name[0].text
    const: ${yaml(HOSTILE)}
  - to: name[0].family
    when: { equals: { path: 5.1, value: ${yaml(IN_MESSAGE)} } }
    const: matched
  - to: name[0].given
    when: { in: { path: 5.1, values: [${yaml(IN_MESSAGE)}] } }
    const: ${yaml(HOSTILE)}
  - to: name[0].prefix
    when: { matches: { path: 5.1, pattern: ${yaml('^q" \' ` \\*/')} } }
    const: prefix
  - to: name[0].suffix
    from: 6
    default: ${yaml(HOSTILE)}
  - to: gender
    cases:
      - when: { equals: { path: 8, value: ${yaml(IN_MESSAGE)} } }
        const: ${yaml(HOSTILE)}
  - to: name[0].use
    constant: hostile
  - to: name[1].text
    template: ${yaml(`${TEMPLATE_TEXT}{5.1}|{?9}`)}
`,
};

let dir: string;
let dump: string;
let set: MappingSet;

beforeAll(async () => {
  dir = writeMappingFiles('cb-codegen-', files);
  dump = mkdtempSync(join(tmpdir(), 'cb-codegen-dump-'));
  process.env.CB_MAPPING_CODEGEN_DUMP = dump;
  try {
    set = await loadMappingSet(dir);
  } finally {
    delete process.env.CB_MAPPING_CODEGEN_DUMP;
  }
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(dump, { recursive: true, force: true });
});

function map(pidFields: Record<number, string>) {
  return set.mapMessage(adtWithPid(pidFields)).bundle.entry![0]!;
}

describe('generated mapping code and hostile constants', () => {
  it('maps constants, defaults and condition values containing code-like text exactly', () => {
    const entry = map({ 3: 'MRN1', 5: IN_MESSAGE, 8: IN_MESSAGE });
    const p = entry.resource as Patient;
    expect(p.name).toEqual([{ text: HOSTILE, family: 'matched', given: [HOSTILE], prefix: ['prefix'], suffix: [HOSTILE], use: HOSTILE }, { text: `${TEMPLATE_TEXT}${IN_MESSAGE}|` }]);
    expect(p.gender).toBe(HOSTILE);
    expect(entry.request!.url.startsWith('Patient?identifier=')).toBe(true);
    expect(decodeURIComponent(entry.request!.url)).toContain('MRN1');
  });

  it('conditions on hostile values are false for other values', () => {
    const p = map({ 3: 'MRN1', 5: 'Smith', 6: 'Jr', 8: 'F' }).resource as Patient;
    expect(p.name).toEqual([{ text: HOSTILE, suffix: ['Jr'], use: HOSTILE }, { text: `${TEMPLATE_TEXT}Smith|` }]);
    expect(p.gender).toBeUndefined();
  });

  it('the generated source (CB_MAPPING_CODEGEN_DUMP) holds constants as captured values or escaped literals, never raw', () => {
    const sources = readdirSync(dump).map((f) => readFileSync(join(dump, f), 'utf8'));
    const patient = sources.find((s) => s.includes('function map_test_patient('));
    expect(patient).toBeDefined();
    // Condition values are string literals; const/default/constant values are captured (K).
    expect(patient).toContain(JSON.stringify(IN_MESSAGE).replace(/\u2028/g, '\\u2028'));
    for (const s of sources) {
      expect(s).not.toContain('\u2028');
      expect(s).not.toContain('process.exit');
    }
  });
});
