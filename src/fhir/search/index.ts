/**
 * @module fhir/search — FHIR R4 search on index tables built from the official SearchParameter
 * definitions. The store calls `indexResource`/`removeIndex` inside its write transaction and
 * `searchResources`/`matchesQuery` from its handlers. Only this file is the room's door.
 */
export { searchMigrations } from './migrations.js';
export { indexDocument, indexResource, removeIndex } from './index-writer.js';
export { searchResources } from './search.js';
export { matchesQuery, matchOne } from './match.js';
export { searchParameterDefinitions } from './capability.js';
export type { SearchRequest, SearchAccessPolicy, SearchInteraction } from './types.js';
