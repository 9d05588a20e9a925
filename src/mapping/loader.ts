/**
 * @module Loads a mapping directory: YAML → JSON Schema check (ajv) → v2/FHIR path checks →
 * compiled closures. Every problem is reported as file:line: reason; nothing is half-loaded.
 */
import { createHash } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { compileCodeMap, type CodeMap } from './codemaps.js';
import type { CompileEnv } from './compile/env.js';
import { compileMessageMap, type CompiledMessageMap } from './compile/message.js';
import { compileRules } from './compile/rules.js';
import { assertTimeZone } from './datetime.js';
import { loadV2Dictionary } from './v2-definitions.js';
import type { MappingFileSpec, MappingLoadError, SendersSpec } from './types.js';
import { pointerToPath, readYamlSource, type YamlSource } from './yaml-source.js';

/** Folders under the mapping dir that belong to other rooms or are not mapping files. */
const SKIPPED_DIRS = new Set(['careplans', 'outbound', 'schema', 'node_modules']);

export interface LoadedMappings {
  readonly dir: string;
  readonly hash: string;
  readonly messageMaps: readonly CompiledMessageMap[];
  readonly senders?: SendersSpec;
  readonly files: number;
}

export type LoadOutcome = { ok: true; mappings: LoadedMappings } | { ok: false; errors: MappingLoadError[] };

let validator: ValidateFunction | undefined;
async function schemaValidator(): Promise<ValidateFunction> {
  if (validator) return validator;
  const schema = JSON.parse(await readFile(new URL('../../mappings/schema/mapping.schema.json', import.meta.url), 'utf8')) as object;
  validator = new Ajv({ allErrors: true, strict: false }).compile(schema);
  return validator;
}

export async function listMappingFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      if (e.isDirectory()) {
        if (!SKIPPED_DIRS.has(e.name) && !e.name.startsWith('.')) await walk(join(d, e.name));
      } else if (/\.ya?ml$/.test(e.name)) out.push(join(d, e.name));
    }
  };
  await walk(dir);
  return out.sort();
}

export async function loadMappingDir(dir: string): Promise<LoadOutcome> {
  const validate = await schemaValidator();
  await loadV2Dictionary();
  const errors: MappingLoadError[] = [];
  const specs = new Map<string, MappingFileSpec>();
  const sources = new Map<string, YamlSource>();
  const hash = createHash('sha256');
  let senders: SendersSpec | undefined;
  const files = await listMappingFiles(dir);
  for (const path of files) {
    const file = relative(dir, path);
    const text = await readFile(path, 'utf8');
    hash.update(file).update('\0').update(text).update('\0');
    const src = readYamlSource(file, text);
    if (!('data' in src)) {
      errors.push(src);
      continue;
    }
    if (!validate(src.data)) {
      errors.push(...schemaErrors(src, validate.errors ?? []));
      continue;
    }
    const spec = annotate(src);
    if (spec.kind === 'senders') {
      if (senders) errors.push({ file, line: 1, reason: `a second senders file (first: ${senders.source.file})` });
      senders = spec;
      continue;
    }
    if ((spec as { kind: string }).kind === 'test') continue;
    const other = specs.get(spec.id);
    if (other) errors.push({ file, line: src.lineOf(['id']), reason: `id '${spec.id}' is already used by ${other.source.file}` });
    else {
      specs.set(spec.id, spec);
      sources.set(spec.id, src);
    }
  }
  if (senders) checkSenders(senders, sources, errors);
  const codemaps = new Map<string, CodeMap>();
  for (const spec of specs.values()) {
    if (spec.kind !== 'codemap') continue;
    const src = sources.get(spec.id)!;
    const { map, errors: e } = compileCodeMap(spec, (key) => src.lineOf(['map', key]));
    codemaps.set(spec.id, map);
    errors.push(...e);
  }
  const env: CompileEnv = { specs, codemaps, errors, version: '2.5', reads: new Set(), stack: [], keys: new Set() };
  const messageMaps: CompiledMessageMap[] = [];
  const used = new Set<string>();
  for (const spec of specs.values()) {
    // Pieces without match (adt-common, visit) are checked through the maps that include them.
    if (spec.kind !== 'message' || !spec.match) continue;
    const compiled = compileMessageMap(env, spec);
    compiled.entries.forEach((e) => used.add(e.mapId));
    messageMaps.push(compiled);
  }
  checkUnused(env, used);
  checkDuplicateMatches(messageMaps, errors);
  if (errors.length) return { ok: false, errors: dedupe(errors) };
  return { ok: true, mappings: { dir, hash: hash.digest('hex').slice(0, 16), messageMaps, senders, files: files.length } };
}

/** Segment maps no message map uses are still checked (a typo must not wait for its first use). */
function checkUnused(env: CompileEnv, used: Set<string>): void {
  for (const spec of env.specs.values()) {
    if (spec.kind !== 'segment' || used.has(spec.id)) continue;
    env.version = '2.8';
    env.keys = new Set(spec.rules.filter((r) => r.ref).map((r) => r.ref!.replace(/\?$/, '')));
    compileRules(env, spec.rules, spec.resource, { kind: 'segment', segment: spec.segment });
  }
}

function checkDuplicateMatches(maps: readonly CompiledMessageMap[], errors: MappingLoadError[]): void {
  const seen = new Map<string, CompiledMessageMap>();
  for (const m of maps) {
    for (const ev of m.match!.events) {
      const k = `${m.match!.type}^${ev}`;
      const prev = seen.get(k);
      if (prev) errors.push({ file: m.source.file, line: m.source.line, reason: `${k} is already mapped by '${prev.id}' (${prev.source.file})` });
      else seen.set(k, m);
    }
  }
}

function checkSenders(s: SendersSpec, _sources: Map<string, YamlSource>, errors: MappingLoadError[]): void {
  const zones = [s.defaultTimezone, ...Object.values(s.senders).map((x) => x.timezone)].filter((z): z is string => !!z);
  for (const z of zones) {
    try {
      assertTimeZone(z);
    } catch {
      errors.push({ file: s.source.file, line: s.source.line, reason: `unknown time zone '${z}' (use an IANA name like Europe/Berlin)` });
    }
  }
}

/** The most specific ajv errors (deepest path), as file:line: reason. */
function schemaErrors(src: YamlSource, errs: ErrorObject[]): MappingLoadError[] {
  const useful = errs.filter((e) => e.keyword !== 'if' && e.keyword !== 'oneOf');
  const list = useful.length ? useful : errs;
  const depth = Math.max(...list.map((e) => e.instancePath.split('/').length));
  return list
    .filter((e) => e.instancePath.split('/').length === depth)
    .slice(0, 3)
    .map((e) => ({ file: src.file, line: src.lineOf(pointerToPath(e.instancePath)), reason: describe(e) }));
}

function describe(e: ErrorObject): string {
  const where = e.instancePath ? e.instancePath.slice(1).replace(/\//g, '.') : '(file)';
  const p = e.params as Record<string, unknown>;
  if (e.keyword === 'additionalProperties') return `${where}: unknown key '${String(p.additionalProperty)}'`;
  if (e.keyword === 'required') return `${where}: missing '${String(p.missingProperty)}'`;
  if (e.keyword === 'enum') return `${where}: must be one of ${(p.allowedValues as unknown[]).join(', ')}`;
  return `${where}: ${e.message ?? 'invalid'}`;
}

/** Attach file:line to every node later checks may complain about. */
function annotate(src: YamlSource): MappingFileSpec {
  const data = src.data as Record<string, unknown>;
  const at = (path: Array<string | number>) => ({ file: src.file, line: src.lineOf(path) });
  const withRules = (key: string) => {
    const list = data[key] as Array<Record<string, unknown>> | undefined;
    list?.forEach((r, i) => (r.source = at([key, i])));
  };
  data.source = at(['id']);
  withRules('rules');
  withRules('resources');
  return data as unknown as MappingFileSpec;
}

function dedupe(errors: MappingLoadError[]): MappingLoadError[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const k = `${e.file}:${e.line}:${e.reason}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
