/** @module Reading a FHIR reference string into a local (type, id) or an external URL. */

export interface ParsedReference {
  readonly type?: string;
  /** Local resource id (relative references only). */
  readonly id?: string;
  /** Absolute, canonical or urn references are kept as written (without `/_history/n`). */
  readonly url?: string;
}

const RELATIVE = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/;
const ABSOLUTE = /^(?:https?:\/\/.*\/)([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/;

export function parseReference(reference: string): ParsedReference | undefined {
  if (reference === '' || reference.startsWith('#')) return undefined;
  const relative = RELATIVE.exec(reference);
  if (relative) return { type: relative[1], id: relative[2] };
  const absolute = ABSOLUTE.exec(reference);
  if (absolute) return { type: absolute[1], url: reference.replace(/\/_history\/[^/]+$/, '') };
  return { url: reference };
}
