/**
 * @module The part of the parser's `Hl7Message` (CONTRACTS §4) the mapper reads. Declared
 * structurally so the mapping room compiles on its own; the parser's real `Hl7Message` satisfies it.
 */
export type Hl7Component = readonly string[];
export type Hl7Repetition = readonly Hl7Component[];
export type Hl7Field = readonly Hl7Repetition[];
export interface Hl7Segment { readonly name: string; readonly fields: readonly Hl7Field[] }
export interface MappableHeader {
  readonly sendingApplication: string; readonly sendingFacility: string; readonly messageType: string;
  readonly triggerEvent: string; readonly messageStructure: string; readonly controlId: string; readonly version: string;
  readonly dateTime: string;
}
export interface MappableMessage { readonly segments: readonly Hl7Segment[]; readonly header: MappableHeader }
