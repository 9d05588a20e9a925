/** @module POST /fhir with a transaction or batch Bundle. */
import type { Bundle } from 'fhir/r4.js';
import { CarebridgeError } from '../../errors/index.js';
import { parsePrefer } from './prefer.js';
import { restSource } from './guards.js';
import type { FhirHandler } from './types.js';

export const bundleHandler: FhirHandler = async (req, store, audit) => {
  const bundle = req.body as Bundle | undefined;
  if (!bundle || typeof bundle !== 'object' || bundle.resourceType !== 'Bundle') {
    throw new CarebridgeError('CB_ERR_BAD_REQUEST', 'POST to the base needs a transaction or batch Bundle', { details: [{ expression: 'Bundle.resourceType', diagnostics: 'Body must be a Bundle' }] });
  }
  audit.resourceType = 'Bundle';
  audit.query = `type=${bundle.type ?? ''}`;
  const response = await store.transaction(bundle, { source: restSource(req), access: req.access, baseUrl: req.baseUrl });
  if (parsePrefer(req.headers.prefer).return === 'minimal') {
    for (const entry of response.entry ?? []) delete entry.resource;
  }
  return { status: 200, body: response };
};
