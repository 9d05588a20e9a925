/** @module Parsing a Bundle entry's `request` (method + relative URL) into what it asks for. */
import type { BundleEntry } from 'fhir/r4.js';
import { CarebridgeError } from '../errors/index.js';
import { isPlausibleType } from './resource-meta.js';

export type EntryMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';

export interface EntryRequest {
  readonly method: EntryMethod;
  readonly type?: string;
  readonly id?: string;
  readonly versionId?: string;
  /** Query string without `?` (search or conditional criteria). */
  readonly query?: string;
  readonly ifNoneExist?: string;
  readonly ifMatch?: string;
}

const METHODS = new Set<EntryMethod>(['GET', 'HEAD', 'POST', 'PUT', 'DELETE']);

export function parseEntryRequest(entry: BundleEntry, index: number, baseUrl: string): EntryRequest {
  const req = entry.request;
  const method = req?.method?.toUpperCase() as EntryMethod | undefined;
  if (!req || !method || !METHODS.has(method) || typeof req.url !== 'string') {
    throw entryError(index, 'entry.request needs a method (GET, POST, PUT, DELETE) and a url', 'request');
  }
  let url = req.url.trim();
  if (url.startsWith(baseUrl)) url = url.slice(baseUrl.length);
  url = url.replace(/^\/+/, '');
  const q = url.indexOf('?');
  const path = q >= 0 ? url.slice(0, q) : url;
  const query = q >= 0 ? url.slice(q + 1) : undefined;
  const parts = path.split('/').filter(Boolean);
  const [type, id, history, versionId] = parts;
  if (type && !isPlausibleType(type)) throw entryError(index, `Unsupported url ${req.url}`, 'request.url');
  if (parts.length > 4 || (history !== undefined && history !== '_history') || (parts.length === 3)) {
    throw entryError(index, `Unsupported url ${req.url}`, 'request.url');
  }
  return {
    method,
    type,
    id,
    versionId,
    query: query || undefined,
    ifNoneExist: req.ifNoneExist || undefined,
    ifMatch: req.ifMatch || undefined,
  };
}

/** A bad entry: 400 naming `Bundle.entry[i].<path>`. */
export function entryError(index: number, message: string, path: string): CarebridgeError {
  const expression = `Bundle.entry[${index}].${path}`;
  return new CarebridgeError('CB_ERR_BAD_REQUEST', `${expression}: ${message}`, { details: [{ expression, diagnostics: `${expression}: ${message}` }] });
}
