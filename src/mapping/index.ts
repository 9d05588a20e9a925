/**
 * @module mapping — declarative HL7 v2 → FHIR mappings (YAML in mappings/), compiled at load into
 * closures; the registry hot-reloads them; the processor writes the mapped transaction Bundle
 * through the FHIR store. See docs/mappings.md for the file format.
 */
export { loadMappings, type MappingRegistry, type LoadMappingsOptions } from './registry.js';
export { loadMappingDir, type LoadedMappings, type LoadOutcome } from './loader.js';
export { createMappingSet, type MappingSet, type MapOptions } from './mapping-set.js';
export { createMappingProcessor, type MappingProcessorDeps } from './processor.js';
export { runMappingTests, type MappingTestResult } from './mapping-tests.js';
export { formatUnmapped } from './compile/unmapped.js';
export { MAPPING_TAG_SYSTEM } from './compile/engine.js';
export { mappingRoutes, type MappingRoutesOptions } from './routes.js';
export { createMappingCommands, type MappingCliCommand, type MappingCliDeps } from './cli.js';
export { unmappedReport, replayDiff, diffOutputs, type UnmappedReport, type ReplayDiff, type ResourceChange } from './inbox-tools.js';
export type {
  MappingResult, UnmappedField, ExplainEntry, MappingStatus, MappingLoadError, MergeInstruction,
} from './types.js';
export type { MappableMessage } from './hl7-shape.js';
