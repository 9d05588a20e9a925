/** @module REST handlers for one resource: create, read, vread, update, delete and their conditional forms. */
import { CarebridgeError, informationOutcome } from '../../errors/index.js';
import { parsePrefer } from './prefer.js';
import { resourceResponse, writeResponse } from './response.js';
import { assertAllowed, assertType, bodyResource, restSource } from './guards.js';
import type { FhirHandler } from './types.js';

export const createHandler: FhirHandler = async (req, store, audit) => {
  const type = req.path[0]!;
  assertType(type);
  const r = bodyResource(req, type);
  assertAllowed(req, 'create', type, r);
  const ifNoneExist = req.headers['if-none-exist'];
  const { resource, created } = await store.create(r, { source: restSource(req), ifNoneExist: ifNoneExist?.replace(/^.*\?/, '') });
  audit.id = resource.id;
  return writeResponse(req, resource, created ? 201 : 200, created ? 'Created' : 'A matching resource already exists');
};

export const readHandler: FhirHandler = async (req, store, audit) => {
  const [type, id] = req.path as [string, string];
  assertType(type);
  audit.id = id;
  const resource = await store.read(type, id);
  assertAllowed(req, 'read', type, resource);
  return resourceResponse(resource);
};

export const vreadHandler: FhirHandler = async (req, store, audit) => {
  const [type, id, , versionId] = req.path as [string, string, string, string];
  assertType(type);
  audit.id = id;
  const resource = await store.vread(type, id, versionId);
  assertAllowed(req, 'vread', type, resource);
  return resourceResponse(resource);
};

export const updateHandler: FhirHandler = async (req, store, audit) => {
  const [type, id] = req.path as [string, string];
  assertType(type);
  const r = bodyResource(req, type);
  if (r.id !== id) {
    throw new CarebridgeError('CB_ERR_FHIR_ID_MISMATCH', `Body id ${r.id ?? '(none)'} does not match the URL id ${id}`, { details: [{ expression: `${type}.id`, diagnostics: 'The body id must equal the id in the URL' }] });
  }
  assertAllowed(req, 'update', type, r);
  audit.id = id;
  const { resource, created } = await store.update(r, { source: restSource(req), ifMatch: req.headers['if-match'] });
  return writeResponse(req, resource, created ? 201 : 200, created ? 'Created' : 'Updated');
};

export const conditionalUpdateHandler: FhirHandler = async (req, store, audit) => {
  const type = req.path[0]!;
  assertType(type);
  const r = bodyResource(req, type);
  assertAllowed(req, 'update', type, r);
  audit.query = req.query.toString();
  const { resource, created } = await store.conditionalUpdate(`${type}?${audit.query}`, r, { source: restSource(req), ifMatch: req.headers['if-match'] });
  audit.id = resource.id;
  return writeResponse(req, resource, created ? 201 : 200, created ? 'Created' : 'Updated');
};

export const deleteHandler: FhirHandler = async (req, store, audit) => {
  const [type, id] = req.path as [string, string];
  assertType(type);
  audit.id = id;
  const existing = await store.readOrUndefined(type, id);
  assertAllowed(req, 'delete', type, existing);
  await store.delete(type, id, { source: restSource(req), ifMatch: req.headers['if-match'] });
  return deletedResponse(req.headers.prefer, `Deleted ${type}/${id}`);
};

export const conditionalDeleteHandler: FhirHandler = async (req, store, audit) => {
  const type = req.path[0]!;
  assertType(type);
  assertAllowed(req, 'delete', type);
  audit.query = req.query.toString();
  const n = await store.conditionalDelete(`${type}?${audit.query}`, { source: restSource(req) });
  return deletedResponse(req.headers.prefer, `Deleted ${n} ${type}`);
};

function deletedResponse(prefer: string | undefined, message: string) {
  return parsePrefer(prefer).return === 'OperationOutcome' ? { status: 200, body: informationOutcome(message) } : { status: 204 };
}
