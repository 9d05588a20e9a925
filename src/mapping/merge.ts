/**
 * @module A40 merge: the merged-away Patient gets `link replaced-by` the survivor and becomes
 * inactive, the survivor gets `link replaces`, and references to the old Patient move to the
 * survivor. Runs inside the message's store transaction.
 */
import type { FhirResource, Patient, PatientLink } from 'fhir/r4.js';
import { isCarebridgeError } from '../errors/index.js';
import type { FhirStore, WriteOptions } from '../fhir/index.js';
import type { MergeInstruction } from './types.js';

/** Resource types and the search parameter that points at a Patient. */
const PATIENT_REFERENCES: ReadonlyArray<readonly [string, string]> = [
  ['Encounter', 'subject'], ['Observation', 'subject'], ['DiagnosticReport', 'subject'], ['Condition', 'subject'],
  ['AllergyIntolerance', 'patient'], ['Procedure', 'subject'], ['RelatedPerson', 'patient'], ['Coverage', 'beneficiary'],
  ['Appointment', 'actor'], ['ChargeItem', 'subject'], ['CarePlan', 'subject'], ['Communication', 'subject'],
  ['CommunicationRequest', 'subject'], ['Task', 'patient'], ['Flag', 'subject'], ['Consent', 'patient'],
];

export async function applyMerge(store: FhirStore, m: MergeInstruction, o: WriteOptions): Promise<void> {
  const survivor = await findOne(store, m.resourceType, m.intoQuery);
  const old = await findOne(store, m.resourceType, m.fromQuery);
  if (!survivor || !old || survivor.id === old.id) return;
  const oldRef = `${m.resourceType}/${old.id}`;
  const survivorRef = `${m.resourceType}/${survivor.id}`;
  await store.update({ ...(old as Patient), active: false, link: withLink((old as Patient).link, survivorRef, 'replaced-by') } as FhirResource, o);
  await store.update({ ...(survivor as Patient), link: withLink((survivor as Patient).link, oldRef, 'replaces') } as FhirResource, o);
  if (m.resourceType !== 'Patient') return;
  for (const [type, param] of PATIENT_REFERENCES) {
    let bundle;
    try {
      bundle = await store.search(type, new URLSearchParams({ [param]: oldRef, _count: '1000' }));
    } catch (err) {
      // A type/parameter this store does not index has nothing to move.
      if (isCarebridgeError(err) && err.code.startsWith('CB_ERR_SEARCH')) continue;
      throw err;
    }
    for (const e of bundle.entry ?? []) {
      if (!e.resource || e.search?.mode === 'include') continue;
      const moved = replaceReferences(e.resource, oldRef, survivorRef) as FhirResource;
      await store.update(moved, o);
    }
  }
}

async function findOne(store: FhirStore, type: string, query: string): Promise<FhirResource | undefined> {
  const bundle = await store.search(type, new URLSearchParams(query));
  return bundle.entry?.find((e) => e.resource?.resourceType === type)?.resource as FhirResource | undefined;
}

function withLink(links: PatientLink[] | undefined, ref: string, type: PatientLink['type']): PatientLink[] {
  const rest = (links ?? []).filter((l) => l.other.reference !== ref);
  return [...rest, { other: { reference: ref }, type }];
}

/** Deep copy with every `reference: old` replaced (meta left alone). */
export function replaceReferences(value: unknown, from: string, to: string): unknown {
  if (Array.isArray(value)) return value.map((v) => replaceReferences(v, from, to));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = k === 'reference' && v === from ? to : k === 'meta' ? v : replaceReferences(v, from, to);
    return out;
  }
  return value;
}
