/**
 * @module The mapping-file AST (what a YAML file says, after schema validation) and the public
 * result types of the mapping room. Version log of the file format:
 * - v1 (2026-11-23): kinds message / segment / datatype / codemap / senders / test.
 */
import type { Bundle, FhirResource as AnyResource } from 'fhir/r4.js';

/** Where a node came from, for error messages and --explain. */
export interface SourceRef { readonly file: string; readonly line: number }

/** A condition (`when:`). Exactly one key per object; `all`/`any`/`not` combine. */
export type ConditionSpec =
  | { readonly present: string }
  | { readonly absent: string }
  | { readonly equals: readonly [string, string] | { readonly path: string; readonly value: string } }
  | { readonly in: { readonly path: string; readonly values: readonly string[] } }
  | { readonly matches: { readonly path: string; readonly pattern: string } }
  | { readonly event: string | readonly string[] }
  | { readonly all: readonly ConditionSpec[] }
  | { readonly any: readonly ConditionSpec[] }
  | { readonly not: ConditionSpec };

/** How a value is produced. `from` may list alternatives: the first non-empty wins. */
export interface ValueSpec {
  readonly from?: string | readonly string[];
  readonly const?: unknown;
  readonly constant?: string;
  /** `{2}-{4.1}`: each `{path}` is replaced by that value; empty if any is empty. */
  readonly template?: string;
  readonly datatype?: string;
  readonly map?: string;
  readonly as?: PrimitiveKind;
  readonly ref?: string;
  /** One value per occurrence of this segment map's segment (its `resource` is a backbone path, e.g. Appointment.participant). */
  readonly each?: string;
  /** Only repetitions/components whose condition holds are used. */
  readonly where?: ConditionSpec;
  readonly default?: unknown;
  /** First case whose `when` holds and which yields a value (a case without `when` is the else). */
  readonly cases?: ReadonlyArray<ValueSpec & { readonly when?: ConditionSpec }>;
}
export type PrimitiveKind = 'string' | 'code' | 'date' | 'dateTime' | 'instant' | 'decimal' | 'integer' | 'boolean' | 'negate-decimal' | 'range-low' | 'range-high';

export interface RuleSpec extends ValueSpec {
  readonly to: string;
  readonly when?: ConditionSpec;
  readonly source: SourceRef;
}

/** `segment` file: one segment (or a field repetition, for `field:` sources) → one resource. */
export interface ResourceMapSpec {
  readonly kind: 'segment';
  readonly id: string;
  readonly segment: string;
  readonly resource: string;
  readonly identity?: IdentitySpec;
  readonly rules: readonly RuleSpec[];
  readonly source: SourceRef;
}

export interface IdentitySpec {
  /** Search parameter for the conditional update (default `identifier`). */
  readonly param?: string;
  /** A value that yields an Identifier (e.g. `from: 3, datatype: cx-identifier`) … */
  readonly identifier?: ValueSpec;
  /** … or system and value given separately. */
  readonly system?: ValueSpec;
  readonly value?: ValueSpec;
  /** Also write the identity as an identifier on the resource (for keys that are not in the data). */
  readonly addIdentifier?: boolean;
}

export interface DatatypeMapSpec {
  readonly kind: 'datatype';
  readonly id: string;
  /** v2 data types this map reads (checked against the field's type). */
  readonly v2: readonly string[];
  /** FHIR type produced: a data type (`Identifier`) or a backbone path (`Encounter.participant`). */
  readonly fhir: string;
  /** When `fhir` is a resource (XCN → Practitioner): how the resource is found again. */
  readonly identity?: IdentitySpec;
  readonly rules: readonly RuleSpec[];
  readonly source: SourceRef;
}

export interface MessageResourceSpec {
  readonly key: string;
  readonly map: string;
  /** One resource per occurrence of this segment (default: the first occurrence only). */
  readonly foreach?: boolean;
  /** Take the resource from this field instead of from the segment (e.g. `PV1-7` → Practitioner). */
  readonly field?: string;
  /** Group this resource under another foreach key (OBX under OBR). */
  readonly within?: string;
  readonly when?: ConditionSpec;
  /** The message is refused (CB_ERR_MAP_FAILED) when this resource has no identity (e.g. no PID-3). */
  readonly required?: boolean;
  readonly source: SourceRef;
}

export interface MessageMapSpec {
  readonly kind: 'message';
  readonly id: string;
  readonly match?: { readonly type: string; readonly events: readonly string[] };
  readonly version?: string;
  readonly include?: readonly string[];
  readonly constants?: Readonly<Record<string, string>>;
  readonly resources: readonly MessageResourceSpec[];
  readonly merge?: MergeSpec;
  readonly provenance?: boolean;
  readonly source: SourceRef;
}

/** A40-style merge: the resource from `from` is replaced by the resource `into`. */
export interface MergeSpec { readonly resource: string; readonly from: string; readonly into: string }

export interface CodeMapSpec {
  readonly kind: 'codemap';
  readonly id: string;
  /** v2 table the keys come from (keys are checked against v2-tables.json). */
  readonly table?: string;
  readonly system?: string;
  /** Emit v2 table codings (system + display from v2-tables.json) for any valid code. */
  readonly passthrough?: boolean;
  readonly map: Readonly<Record<string, string | { readonly code: string; readonly system?: string; readonly display?: string }>>;
  readonly default?: string;
  readonly caseInsensitive?: boolean;
  readonly source: SourceRef;
}

export interface SendersSpec {
  readonly kind: 'senders';
  readonly defaultTimezone?: string;
  readonly senders: Readonly<Record<string, { readonly timezone?: string; readonly identifierSystem?: string }>>;
  readonly source: SourceRef;
}

export type MappingFileSpec = ResourceMapSpec | DatatypeMapSpec | MessageMapSpec | CodeMapSpec | SendersSpec;

// ---- public results ----

export interface UnmappedField { readonly segment: string; readonly occurrence: number; readonly field?: number; readonly reason: 'field-not-read' | 'segment-not-mapped' | 'z-segment' }
export interface ExplainEntry { readonly resource: string; readonly path: string; readonly rule: string; readonly from?: string }
export interface MergeInstruction { readonly resourceType: string; readonly fromQuery: string; readonly intoQuery: string }

export interface MappingResult {
  readonly bundle: Bundle;
  readonly mappingId: string;
  readonly mappingHash: string;
  readonly unmapped: UnmappedField[];
  readonly explain?: ExplainEntry[];
  readonly merges: MergeInstruction[];
}

export interface MappingLoadError { readonly file: string; readonly line: number; readonly reason: string }

export interface MappingStatus {
  readonly ok: boolean;
  readonly dir: string;
  readonly loadedAt?: string;
  readonly hash?: string;
  readonly messageMaps: Array<{ id: string; type?: string; events: readonly string[] }>;
  /** Errors of the last (refused) load; the previous good set keeps serving. */
  readonly errors: MappingLoadError[];
  readonly lastAttemptAt?: string;
}

export type FhirResource = AnyResource;
