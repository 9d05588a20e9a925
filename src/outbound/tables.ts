/** @module The outbox tables as kysely sees them (DDL in migrations.ts). */
import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export type OutboundMessageTable = {
  id: Generated<number>;
  destination: string;
  ordering_key: string;
  idempotency_key: string;
  rule: string | null;
  resource_type: string | null;
  resource_id: string | null;
  version_id: number | null;
  change_seq: number | null;
  payload: ColumnType<unknown, string, string>;
  status: ColumnType<string, string | undefined, string>;
  attempts: ColumnType<number, number | undefined, number>;
  next_attempt_at: Timestamp;
  locked_by: string | null;
  locked_until: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  last_error: string | null;
  last_status: number | null;
  last_response: string | null;
  created_at: Timestamp;
  committed_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  delivered_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
};

export type OutboundDestinationTable = {
  name: string;
  paused: ColumnType<boolean, boolean | undefined, boolean>;
  paused_reason: string | null;
  consecutive_failures: ColumnType<number, number | undefined, number>;
  circuit_open_until: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  last_error: string | null;
  last_error_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  last_success_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
};

export type OutboundTables = {
  outbound_message: OutboundMessageTable;
  outbound_destination: OutboundDestinationTable;
};
