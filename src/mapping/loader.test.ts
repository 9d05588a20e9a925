/**
 * Broken mapping files are refused with file, line and reason — before any message is mapped.
 * Each case copies the shipped mappings and breaks one file.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadMappingDir } from './loader.js';

const shipped = new URL('../../mappings', import.meta.url).pathname;
const dirs: string[] = [];

function copyWith(file: string, edit: (text: string) => string): string {
  const dir = mkdtempSync(join(tmpdir(), 'cb-map-'));
  dirs.push(dir);
  cpSync(shipped, dir, { recursive: true });
  writeFileSync(join(dir, file), edit(readFileSync(join(dir, file), 'utf8')));
  return dir;
}
const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('loadMappingDir', () => {
  it('loads the shipped mappings', async () => {
    const out = await loadMappingDir(shipped);
    expect(out.ok ? [] : out.errors).toEqual([]);
  });

  const cases: Array<[string, string, (t: string) => string, string, RegExp]> = [
    ['unknown v2 field', 'segments/pid-patient.yaml', (t) => t.replace('from: 8\n', 'from: 88\n'), 'from: 88', /PID-88 does not exist in HL7 v2\.8/],
    ['unknown FHIR element', 'segments/pid-patient.yaml', (t) => t.replace('to: birthDate', 'to: birthday'), 'to: birthday', /no element 'birthday' in Patient/],
    ['schema: unknown key', 'segments/pv1-encounter.yaml', (t) => t.replace('  - to: serviceType\n', '  - to: serviceType\n    form: 10\n'), 'form: 10', /unknown key 'form'/],
    ['YAML syntax', 'codemaps/v2-0001-administrative-gender.yaml', (t) => t.replace('  F: female', '  F: [female'), 'F: [female', /YAML syntax/],
    ['code not in the v2 table', 'codemaps/v2-0001-administrative-gender.yaml', (t) => t.replace('  U: unknown', '  Q: unknown'), 'Q: unknown', /code 'Q' is not in HL7 table 0001/],
    ['unknown code map', 'segments/pid-patient.yaml', (t) => t.replace('map: v2-0001-administrative-gender', 'map: gender-typo'), 'map: gender-typo', /code map 'gender-typo' does not exist/],
    ['datatype applied to the wrong v2 type', 'segments/pid-patient.yaml', (t) => t.replace('    from: 5\n    datatype: xpn-human-name', '    from: 5\n    datatype: xad-address'), 'datatype: xad-address', /reads XAD/],
    ['component beyond the data type', 'datatypes/cx-identifier.yaml', (t) => t.replace('    from: 7\n', '    from: 17\n'), 'from: 17', /CX has 1?\d components, not 17/],
    ['reference to a missing resource key', 'segments/dg1-condition.yaml', (t) => t.replace('ref: encounter\n', 'ref: encountr\n'), 'ref: encountr', /ref: 'encountr' is not a resource key/],
  ];
  it.each(cases)('refuses %s with file:line', async (name, file, edit, needle, reason) => {
    const dir = copyWith(file, edit);
    const out = await loadMappingDir(dir);
    expect(out.ok).toBe(false);
    if (out.ok) return;
    const text = readFileSync(join(dir, file), 'utf8');
    const hit = out.errors.find((e) => e.file === file && reason.test(e.reason));
    expect(hit, JSON.stringify(out.errors)).toBeDefined();
    // The line of the broken node, or of the rule that holds it.
    const line = lineOf(text, needle);
    expect(hit!.line).toBeGreaterThanOrEqual(line - 3);
    // An unclosed YAML bracket is noticed where the next line starts.
    expect(hit!.line).toBeLessThanOrEqual(name === 'YAML syntax' ? line + 1 : line);
  });
});
