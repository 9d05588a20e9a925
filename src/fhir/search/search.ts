/** @module searchResources — placeholder until the query compiler lands. */
import type { Bundle } from 'fhir/r4.js';
import type { AnyDb } from '../../db/index.js';
import { CarebridgeError } from '../../errors/index.js';
import type { SearchRequest } from './types.js';

export async function searchResources(_db: AnyDb, _req: SearchRequest): Promise<Bundle> {
  throw new CarebridgeError('CB_ERR_NOT_IMPLEMENTED', 'search is being built');
}
