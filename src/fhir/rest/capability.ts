/**
 * @module GET /fhir/metadata: a CapabilityStatement that says what this server really does.
 * Built once (per base URL) from the R4 resource list and the search room's parameter definitions.
 */
import type { CapabilityStatement, CapabilityStatementRestResource } from 'fhir/r4.js';
import { searchParameterDefinitions } from '../search/index.js';
import { knownResourceTypes } from '../validation/index.js';
import type { FhirHandler } from './types.js';

const cache = new Map<string, CapabilityStatement>();
const RELEASED = '2026-11-23';

function resourceEntry(type: string): CapabilityStatementRestResource {
  let params: CapabilityStatementRestResource['searchParam'] = [];
  try {
    params = searchParameterDefinitions(type).map((p) => ({ name: p.code!, definition: p.url, type: p.type }));
  } catch {
    params = [];
  }
  return {
    type,
    profile: `http://hl7.org/fhir/StructureDefinition/${type}`,
    interaction: ['read', 'vread', 'update', 'delete', 'history-instance', 'history-type', 'create', 'search-type'].map((code) => ({
      code: code as 'read',
    })),
    versioning: 'versioned-update',
    readHistory: true,
    updateCreate: true,
    conditionalCreate: true,
    conditionalRead: 'not-supported',
    conditionalUpdate: true,
    conditionalDelete: 'multiple',
    referencePolicy: ['literal', 'logical'],
    searchInclude: ['*'],
    searchRevInclude: ['*'],
    searchParam: params,
    operation: [
      { name: 'validate', definition: 'http://hl7.org/fhir/OperationDefinition/Resource-validate' },
      ...(type === 'Patient' ? [{ name: 'everything', definition: 'http://hl7.org/fhir/OperationDefinition/Patient-everything' }] : []),
    ],
  };
}

export function capabilityStatement(baseUrl: string): CapabilityStatement {
  let cs = cache.get(baseUrl);
  if (cs) return cs;
  cs = {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: RELEASED,
    kind: 'instance',
    software: { name: 'carebridge', version: '0.1.0' },
    implementation: { description: 'carebridge FHIR R4 server', url: baseUrl },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'application/json'],
    patchFormat: [],
    rest: [
      {
        mode: 'server',
        security: {
          cors: false,
          description: 'OAuth 2.0 client credentials with SMART scopes (see /.well-known/smart-configuration), unless auth is explicitly turned off.',
        },
        resource: [...knownResourceTypes()].sort().map(resourceEntry),
        interaction: [{ code: 'transaction' }, { code: 'batch' }, { code: 'history-system' }, { code: 'search-system' }],
      },
    ],
  };
  cache.set(baseUrl, cs);
  return cs;
}

export const metadataHandler: FhirHandler = async (req) => ({ status: 200, body: capabilityStatement(req.baseUrl) });
