/** Tiny fetch helpers for the REST behaviour tests (status, headers and body of one call). */
export interface HttpResult {
  status: number;
  headers: Headers;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- test helper: bodies are asserted field by field
}

export function http(base: string) {
  return async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<HttpResult> => {
    const res = await fetch(`${base}/fhir/${path}`, {
      method,
      headers: { ...(body !== undefined && typeof body !== 'string' ? { 'content-type': 'application/fhir+json' } : {}), ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
  };
}

export const AUTH_OFF = { CAREBRIDGE_AUTH: 'off-i-understand-this-exposes-patient-data' };

export const pat = (mrn: string, extra: Record<string, unknown> = {}) => ({
  resourceType: 'Patient',
  identifier: [{ system: 'urn:mrn', value: mrn }],
  name: [{ family: `F${mrn}` }],
  ...extra,
});
