/**
 * @module Mapping tests (kind: test files in mappings/tests/): an input message from
 * fixtures/hl7/ and the partial FHIR output it must yield. `carebridge mappings test` and the
 * vitest suite run them.
 */
import { readFile, readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { BundleEntry } from 'fhir/r4.js';
import { parseMessage } from '../hl7v2/index.js';
import { formatUnmapped } from './compile/unmapped.js';
import type { MappableMessage } from './hl7-shape.js';
import type { MappingSet } from './mapping-set.js';
import { readYamlSource } from './yaml-source.js';

interface ExpectSpec { resourceType: string; request?: string; count?: number; contains?: Record<string, unknown>; absent?: string[] }
interface TestSpec { kind: 'test'; description?: string; input: string; mapping?: string; expect: ExpectSpec[]; unmapped?: string[] }

export interface MappingTestResult { readonly file: string; readonly ok: boolean; readonly failures: readonly string[] }

/** Runs every `*.yaml` under `<mappingsDir>/tests`; inputs resolve against `rootDir` (the repo). */
export async function runMappingTests(set: MappingSet, mappingsDir: string, rootDir = resolve(mappingsDir, '..')): Promise<MappingTestResult[]> {
  const dir = join(mappingsDir, 'tests');
  const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => /\.ya?ml$/.test(f)).sort();
  const out: MappingTestResult[] = [];
  for (const f of files) out.push(await runOne(set, join(dir, f), `tests/${f}`, rootDir));
  return out;
}

async function runOne(set: MappingSet, path: string, file: string, rootDir: string): Promise<MappingTestResult> {
  const src = readYamlSource(file, await readFile(path, 'utf8'));
  if (!('data' in src)) return { file, ok: false, failures: [`${src.file}:${src.line}: ${src.reason}`] };
  const spec = src.data as TestSpec;
  if (spec?.kind !== 'test' || !Array.isArray(spec.expect) || typeof spec.input !== 'string') {
    return { file, ok: false, failures: [`${file}:1: not a mapping test (kind: test, input, expect)`] };
  }
  const failures: string[] = [];
  try {
    const message = parseMessage(await readFile(resolve(rootDir, spec.input))) as unknown as MappableMessage;
    const result = set.mapMessage(message, { mapping: spec.mapping });
    const entries = result.bundle.entry ?? [];
    spec.expect.forEach((e, i) => {
      const at = `${file}:${src.lineOf(['expect', i])}`;
      const candidates = entries.filter((x) => x.resource?.resourceType === e.resourceType && (!e.request || requestLine(x).startsWith(e.request)));
      if (e.count !== undefined && candidates.length !== e.count) failures.push(`${at}: expected ${e.count} ${e.resourceType}${e.request ? ` (${e.request})` : ''}, got ${candidates.length}`);
      if (e.count === 0) return;
      if (candidates.length === 0) {
        failures.push(`${at}: no ${e.resourceType}${e.request ? ` with request '${e.request}'` : ''} (requests: ${entries.map(requestLine).join(', ')})`);
        return;
      }
      const match = candidates.find((x) => (!e.contains || contains(x.resource, e.contains)) && !(e.absent ?? []).some((k) => k in (x.resource as object)));
      if (!match) {
        const diff = e.contains ? firstDifference(candidates[0]!.resource, e.contains, e.resourceType) : undefined;
        failures.push(`${at}: no ${e.resourceType} matches${diff ? `: ${diff}` : ` (absent: ${(e.absent ?? []).join(', ')})`}`);
      }
    });
    if (spec.unmapped) {
      const got = new Set(result.unmapped.map(formatUnmapped));
      for (const u of spec.unmapped) if (!got.has(u)) failures.push(`${file}: expected '${u}' in the unmapped report (got ${[...got].join(', ') || 'nothing'})`);
    }
  } catch (err) {
    failures.push(`${file}: ${(err as Error).message}`);
  }
  return { file, ok: failures.length === 0, failures };
}

const requestLine = (e: BundleEntry): string => `${e.request?.method ?? ''} ${e.request?.url ?? ''}`;

/** Deep partial match: objects by key, arrays as "every expected item matches some actual item". */
export function contains(actual: unknown, expected: unknown): boolean {
  if (Array.isArray(expected)) return Array.isArray(actual) && expected.every((x) => actual.some((a) => contains(a, x)));
  if (expected && typeof expected === 'object') {
    if (!actual || typeof actual !== 'object') return false;
    return Object.entries(expected).every(([k, v]) => contains((actual as Record<string, unknown>)[k], v));
  }
  return actual === expected;
}

function firstDifference(actual: unknown, expected: unknown, path: string): string | undefined {
  if (contains(actual, expected)) return undefined;
  if (expected && typeof expected === 'object' && !Array.isArray(expected) && actual && typeof actual === 'object') {
    for (const [k, v] of Object.entries(expected)) {
      const d = firstDifference((actual as Record<string, unknown>)[k], v, `${path}.${k}`);
      if (d) return d;
    }
  }
  return `${path} is ${JSON.stringify(actual) ?? 'absent'}, expected ${JSON.stringify(expected)}`;
}
