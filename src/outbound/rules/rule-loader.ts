/**
 * @module Loads mappings/outbound/*.yaml: YAML → JSON Schema (ajv) → `${VAR}` substitution →
 * FHIRPath compiled. Any error names file:line and the reason; a failed reload keeps the last good
 * rule set serving (see `createRuleRegistry`).
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { CarebridgeError } from '../../errors/index.js';
import { compilePath, pathError } from './fhirpath.js';
import { OUTBOUND_RULES_SCHEMA } from './rule-schema.js';
import type { ChangeOperationName, DestinationSpec, OutboundRule, OutboundRuleSet, PayloadSpec, SourceMatcher } from './rule-types.js';

const ajv = new Ajv({ allErrors: false, strict: false });
const validateFile = ajv.compile(OUTBOUND_RULES_SCHEMA);

export type RuleVariables = Readonly<Record<string, string | undefined>>;

interface RawFile {
  requiresEnv?: string[];
  destination: {
    name: string; channel: DestinationSpec['channel']; url?: string; secret?: string; bearerToken?: string; headers?: Record<string, string>;
    host?: string; port?: number | string; onApplicationError?: 'retry' | 'dead-letter'; connectionPerMessage?: boolean; skipSources?: SourceMatcher[]; settings?: DestinationSpec['settings'];
  };
  rules: Array<{ id: string; resourceType: string; operations?: ChangeOperationName[]; when?: string; changed?: string; sources?: SourceMatcher[]; event: string; orderingKey?: string; payload?: PayloadSpec }>;
}

/** Loads every *.yaml / *.yml in `dir` (missing folder = no rules). Throws CB_ERR_MAP_LOAD with file:line. */
export async function loadOutboundRules(dir: string, vars: RuleVariables): Promise<OutboundRuleSet> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => /\.ya?ml$/.test(n)).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') names = [];
    else throw err;
  }
  const hash = createHash('sha256');
  const destinations: DestinationSpec[] = [];
  const rules: OutboundRule[] = [];
  for (const name of names) {
    const file = join(dir, name);
    const text = await readFile(file, 'utf8');
    hash.update(name).update('\0').update(text);
    const parsed = compileFile(file, text, vars);
    if (destinations.some((d) => d.name === parsed.destination.name)) {
      throw loadError(file, 1, `destination "${parsed.destination.name}" is defined in more than one file`);
    }
    destinations.push(parsed.destination);
    for (const r of parsed.rules) {
      if (rules.some((x) => x.id === r.id && x.destination === r.destination)) throw loadError(file, r.line, `duplicate rule id "${r.id}"`);
      rules.push(r);
    }
  }
  return { destinations, rules, hash: hash.digest('hex').slice(0, 16), loadedAt: new Date() };
}

/** One file's text → its destination and rules (exported for unit tests and previews). */
export function compileFile(file: string, text: string, vars: RuleVariables): { destination: DestinationSpec; rules: OutboundRule[] } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    throw loadError(file, lines.linePos(e.pos[0]).line, e.message.split('\n')[0]!);
  }
  const raw = doc.toJS() as unknown;
  if (!validateFile(raw)) {
    const e = validateFile.errors![0]!;
    throw loadError(file, lineOf(doc, lines, e.instancePath), describe(e));
  }
  const f = raw as RawFile;
  const missing = (f.requiresEnv ?? []).filter((v) => !vars[v]);
  const sub = (s: string | undefined, path: string): string | undefined => (s === undefined ? undefined : substitute(s, vars, file, lineOf(doc, lines, path)));
  const d = f.destination;
  const enabled = missing.length === 0;
  const destination: DestinationSpec = {
    name: d.name,
    channel: d.channel,
    file,
    enabled,
    disabledReason: enabled ? undefined : `set ${missing.join(' and ')} to enable`,
    url: enabled ? sub(d.url, '/destination/url') : undefined,
    secret: enabled ? sub(d.secret, '/destination/secret') : undefined,
    bearerToken: enabled ? sub(d.bearerToken, '/destination/bearerToken') : undefined,
    headers: enabled && d.headers ? Object.fromEntries(Object.entries(d.headers).map(([k, v]) => [k, sub(v, `/destination/headers/${k}`)!])) : undefined,
    host: enabled ? sub(d.host, '/destination/host') : undefined,
    port: enabled && d.port !== undefined ? Number(sub(String(d.port), '/destination/port')) : undefined,
    onApplicationError: d.onApplicationError ?? 'retry',
    connectionPerMessage: d.connectionPerMessage ?? false,
    skipSources: d.skipSources ?? [],
    settings: d.settings ?? {},
  };
  if (enabled) checkDestination(destination, file, lineOf(doc, lines, '/destination'));
  const rules = f.rules.map((r, i): OutboundRule => {
    const at = (p: string) => lineOf(doc, lines, `/rules/${i}${p}`);
    const compile = (expr: string | undefined, p: string) => {
      if (expr === undefined) return undefined;
      try {
        return compilePath(expr);
      } catch (err) {
        throw loadError(file, at(p), `invalid FHIRPath in ${p.slice(1)}: ${pathError(err)}`);
      }
    };
    return {
      id: r.id,
      file,
      line: at(''),
      destination: d.name,
      resourceType: r.resourceType,
      operations: new Set(r.operations ?? ['create', 'update']),
      event: r.event,
      when: compile(r.when, '/when'),
      changed: compile(r.changed, '/changed'),
      orderingKey: compile(r.orderingKey, '/orderingKey'),
      sources: r.sources,
      payload: r.payload ?? { format: defaultFormat(d.channel) },
    };
  });
  return { destination, rules };
}

function defaultFormat(channel: DestinationSpec['channel']): PayloadSpec['format'] {
  return channel === 'fhir-rest' ? 'fhir-rest' : channel === 'crm' ? 'crm' : channel === 'mllp' ? 'hl7v2-siu' : 'cloudevents';
}

function checkDestination(d: DestinationSpec, file: string, line: number): void {
  if (d.channel === 'mllp') {
    if (!d.host || !Number.isInteger(d.port) || d.port! <= 0 || d.port! > 65535) throw loadError(file, line, 'an mllp destination needs host and a port 1-65535');
    return;
  }
  if (!d.url || !/^https?:\/\/[^\s]+$/.test(d.url)) throw loadError(file, line, `destination.url must be an http(s) URL (got "${d.url ?? ''}")`);
  if (d.channel === 'crm' && (d.settings.concurrency ?? 5) > 5) throw loadError(file, line, 'the CRM allows at most 5 concurrent requests (settings.concurrency ≤ 5)');
}

function substitute(s: string, vars: RuleVariables, file: string, line: number): string {
  return s.replace(/\$\{([A-Z][A-Z0-9_]*)\}/g, (_, name: string) => {
    const v = vars[name];
    if (v === undefined || v === '') throw loadError(file, line, `environment variable ${name} is not set (list it in requiresEnv to make the destination optional)`);
    return v;
  });
}

function lineOf(doc: Document, lines: LineCounter, pointer: string): number {
  const path = pointer.split('/').slice(1).map((p) => (/^\d+$/.test(p) ? Number(p) : p.replace(/~1/g, '/').replace(/~0/g, '~')));
  for (let n = path.length; n >= 0; n--) {
    const node = (n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true)) as { range?: [number, number, number] } | null;
    if (node?.range) return lines.linePos(node.range[0]).line;
  }
  return 1;
}

function describe(e: ErrorObject): string {
  const where = e.instancePath ? e.instancePath.slice(1).replace(/\//g, '.') : '(file)';
  if (e.keyword === 'additionalProperties') return `${where}: unknown property "${(e.params as { additionalProperty: string }).additionalProperty}"`;
  if (e.keyword === 'enum') return `${where}: must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`;
  if (e.keyword === 'required') return `${where}: missing "${(e.params as { missingProperty: string }).missingProperty}"`;
  return `${where}: ${e.message ?? 'invalid'}`;
}

function loadError(file: string, line: number, reason: string): CarebridgeError {
  return new CarebridgeError('CB_ERR_MAP_LOAD', `${file}:${line}: ${reason}`);
}
