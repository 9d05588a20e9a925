/**
 * @module State shared while compiling one mapping set: the parsed files by id, code maps, the
 * error list (every error names file and line), and the v2 fields each message map reads.
 */
import type { CodeMap } from '../codemaps.js';
import type { DatatypeMapSpec, MappingFileSpec, MappingLoadError, ResourceMapSpec, SourceRef } from '../types.js';

export interface CompileEnv {
  readonly specs: ReadonlyMap<string, MappingFileSpec>;
  readonly codemaps: ReadonlyMap<string, CodeMap>;
  readonly errors: MappingLoadError[];
  /** HL7 version paths are checked against (the current message map's). */
  version: string;
  /** Fields read by the current message map (`PID-3`), for the unmapped-data report. */
  reads: Set<string>;
  /** Datatype maps being compiled (cycle check). */
  readonly stack: string[];
  /** Resource keys of the current message map (for `ref:` checks). */
  keys: ReadonlySet<string>;
}

/** What relative v2 paths refer to while compiling a rule. */
export type PathContext =
  | { readonly kind: 'segment'; readonly segment: string }
  | { readonly kind: 'node'; readonly v2Types: readonly string[]; /** field the node came from, for reads */ readonly field?: string };

export function fail(env: CompileEnv, at: SourceRef, reason: string): void {
  env.errors.push({ file: at.file, line: at.line, reason });
}

export function specOf<K extends MappingFileSpec['kind']>(env: CompileEnv, id: string, kinds: readonly K[]): Extract<MappingFileSpec, { kind: K }> | undefined {
  const s = env.specs.get(id);
  return s && (kinds as readonly string[]).includes(s.kind) ? (s as Extract<MappingFileSpec, { kind: K }>) : undefined;
}

export type ResourceProducingSpec = ResourceMapSpec | DatatypeMapSpec;
