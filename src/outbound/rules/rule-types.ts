/** @module Compiled outbound rules: what the loader produces and the consumer evaluates. */
import type { Resource } from 'fhir/r4.js';
import type { DestinationSettings } from '../destinations.js';

export type ChannelKind = 'webhook' | 'fhir-rest' | 'crm' | 'mllp';
export type PayloadFormat = 'resource' | 'cloudevents' | 'fhir-rest' | 'crm' | 'hl7v2-siu';
export type ChangeOperationName = 'create' | 'update' | 'delete';

export interface SourceMatcher {
  readonly kind?: string;
  readonly clientId?: string;
  readonly sender?: string;
  readonly destination?: string;
}

export interface DestinationSpec {
  readonly name: string;
  readonly channel: ChannelKind;
  readonly file: string;
  readonly enabled: boolean;
  readonly disabledReason?: string;
  readonly url?: string;
  readonly secret?: string;
  readonly bearerToken?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly host?: string;
  readonly port?: number;
  readonly onApplicationError: 'retry' | 'dead-letter';
  readonly connectionPerMessage: boolean;
  readonly skipSources: readonly SourceMatcher[];
  readonly settings: DestinationSettings;
}

export interface PayloadSpec {
  readonly format: PayloadFormat;
  readonly source?: string;
  readonly mode?: 'conditional-update' | 'transaction' | 'batch';
  readonly identifierSystem?: string;
  readonly sendingApplication?: string;
  readonly sendingFacility?: string;
  readonly receivingApplication?: string;
  readonly receivingFacility?: string;
  readonly version?: string;
}

/** A FHIRPath expression compiled once at load. */
export type CompiledPath = (resource: Resource, vars: Record<string, unknown>) => unknown[];

export interface OutboundRule {
  readonly id: string;
  readonly file: string;
  readonly line: number;
  readonly destination: string;
  readonly resourceType: string;
  readonly operations: ReadonlySet<ChangeOperationName>;
  readonly event: string;
  readonly when?: CompiledPath;
  readonly changed?: CompiledPath;
  readonly orderingKey?: CompiledPath;
  readonly sources?: readonly SourceMatcher[];
  readonly payload: PayloadSpec;
}

export interface OutboundRuleSet {
  readonly destinations: readonly DestinationSpec[];
  readonly rules: readonly OutboundRule[];
  /** Content hash of every file (changes → reload visible in the admin API). */
  readonly hash: string;
  readonly loadedAt: Date;
}
