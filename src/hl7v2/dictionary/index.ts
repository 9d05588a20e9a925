/** @module dictionary — HL7 v2 segment/field/data-type definitions from hl7v2-dictionary. */
export { loadHl7Dictionary, segmentDefinition, dataTypeComponents, dictionaryVersion, type SegmentDefinition, type FieldDefinition } from './segment-definition.js';
export { checkPath, type PathCheck } from './check-path.js';
export { tableValues, hl7Table, tableKey, type TableValue, type Hl7Table } from './table-values.js';
