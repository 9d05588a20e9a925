/** @module matchesQuery — placeholder until the query compiler lands. */
import type { AnyDb } from '../../db/index.js';
import { CarebridgeError } from '../../errors/index.js';

export async function matchesQuery(_db: AnyDb, _type: string, _query: string): Promise<string[]> {
  throw new CarebridgeError('CB_ERR_NOT_IMPLEMENTED', 'conditional matching is being built');
}
