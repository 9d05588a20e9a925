/**
 * @module fhir — the one FHIR store (CONTRACTS §1), its change feed, validation, the REST plugin
 * mounted at /fhir, and (re-exported) the search room's door (CONTRACTS §2). Only this file is the
 * room's door; other rooms import from `../fhir/index.js`.
 */
export { createFhirStore, type FhirStoreDeps } from './store.js';
export { fhirMigrations } from './migrations.js';
export { consumeChangeFeed, changeFeedLag } from './change-feed.js';
export { registerChangeFeedGauge } from './change-feed-metrics.js';
export { checkResource, validateResource, isKnownResourceType, type ValidationResult } from './validation/index.js';
export { parseConditional } from './conditional.js';
export { fhirRoutes, type FhirRoutesOptions } from './rest/plugin.js';
export {
  ALLOW_ALL,
  type AccessEvent,
  type AccessPolicy,
  type ChangeFeedEntry,
  type ChangeOperation,
  type CreateManyOptions,
  type FhirInteraction,
  type FhirStore,
  type HistoryOptions,
  type SearchOptions,
  type WriteOptions,
  type WriteSource,
} from './types.js';
export {
  searchMigrations,
  indexResource,
  removeIndex,
  searchResources,
  matchesQuery,
  searchParameterDefinitions,
  type SearchRequest,
} from './search/index.js';
