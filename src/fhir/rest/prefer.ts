/** @module The `Prefer` header (http://hl7.org/fhir/R4/http.html#ops): return= and handling=. */
export interface Preferences {
  readonly return: 'minimal' | 'representation' | 'OperationOutcome';
  readonly handling?: 'strict' | 'lenient';
}

export function parsePrefer(header: string | undefined): Preferences {
  let ret: Preferences['return'] = 'representation';
  let handling: Preferences['handling'];
  for (const part of (header ?? '').split(/[,;]/)) {
    const [k, v] = part.split('=').map((s) => s.trim().replace(/^"(.*)"$/, '$1'));
    if (k?.toLowerCase() === 'return' && (v === 'minimal' || v === 'representation' || v === 'OperationOutcome')) ret = v;
    if (k?.toLowerCase() === 'handling' && (v === 'strict' || v === 'lenient')) handling = v;
  }
  return { return: ret, ...(handling ? { handling } : {}) };
}
