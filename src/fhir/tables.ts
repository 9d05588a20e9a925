/** @module Kysely table shapes of the store (see migrations.ts). */
import type { Generated } from 'kysely';
import type { Resource } from 'fhir/r4.js';

export interface FhirTables {
  fhir_resource: {
    resource_type: string; id: string; version_id: number; last_updated: Date; deleted: boolean; content: Resource;
  };
  fhir_resource_history: {
    resource_type: string; id: string; version_id: number; last_updated: Date; deleted: boolean;
    operation: string; content: Resource;
  };
  fhir_change_feed: {
    seq: Generated<number>; txid: Generated<string>; resource_type: string; id: string; version_id: number;
    operation: string; changed_at: Generated<Date>; source: unknown;
  };
  fhir_change_feed_cursor: { consumer: string; last_txid: string; last_seq: number; open_txids: Generated<unknown>; updated_at: Generated<Date> };
}
