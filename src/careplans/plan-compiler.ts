/**
 * @module One care-plan file → a checked, compiled CarePlanDefinition. Schema errors and the
 * semantic checks below (FHIRPath that does not parse, unknown placeholders, a questionnaire
 * activity without a questionnaire, an unknown time zone) are reported as `file:line: reason`.
 */
import { createHash } from 'node:crypto';
import { compilePath, pathErrorMessage, type CompiledPath } from './fhirpath-eval.js';
import { isValidTimeZone } from './local-time.js';
import { PLAN_FILE_SCHEMA, CHANNELS, type ActivityKind, type Channel } from './plan-schema.js';
import { PLAN_CANONICAL_BASE, type ActivityDefinition, type CarePlanDefinition, type ContextVariable } from './plan-types.js';
import { unknownPlaceholders } from './template.js';
import { YamlSource, loadError, validateAgainst, type SourceProblem } from './yaml-source.js';

interface PlanFile {
  id: string;
  version?: string;
  title: string;
  description?: string;
  status?: 'active' | 'draft' | 'retired';
  trigger: { resourceType: string; condition: string; subject: string; anchor: string; oncePer?: 'resource' | 'subject'; context?: Record<string, { resolve?: string; search?: string }> };
  defaults?: { language?: string; timeZone?: string; quietHours?: { start: string; end: string } };
  channels?: { allowed?: Channel[]; elderlyAge?: number };
  activities: Array<{ id: string; offset: string; kind: ActivityKind; title?: string; purpose?: string; questionnaire?: string; skipIfRecovered?: boolean; templates?: Record<string, string> }>;
}

export interface CompileOptions {
  /** Used when a file names none. */
  readonly defaultTimeZone: string;
  readonly defaultLanguage?: string;
}

export function compilePlanFile(file: string, text: string, options: CompileOptions): CarePlanDefinition {
  const source = YamlSource.parse(file, text);
  validateAgainst(source, PLAN_FILE_SCHEMA);
  const data = source.data as PlanFile;
  const problems: SourceProblem[] = [];
  const at = (path: Array<string | number>, reason: string) => problems.push({ line: source.lineOf(path), reason });

  const path = (expression: string, where: Array<string | number>): CompiledPath => {
    try {
      return compilePath(expression);
    } catch (err) {
      at(where, `${where.join('.')}: FHIRPath does not parse: ${pathErrorMessage(err)}`);
      return () => [];
    }
  };
  const t = data.trigger;
  const context: ContextVariable[] = Object.entries(t.context ?? {}).map(([name, v]) =>
    v.resolve ? { name, resolve: path(v.resolve, ['trigger', 'context', name, 'resolve']), resolveExpression: v.resolve } : { name, search: v.search },
  );
  const trigger = {
    resourceType: t.resourceType,
    conditionExpression: t.condition,
    condition: path(t.condition, ['trigger', 'condition']),
    subjectExpression: t.subject,
    subject: path(t.subject, ['trigger', 'subject']),
    anchorExpression: t.anchor,
    anchor: path(t.anchor, ['trigger', 'anchor']),
    context,
    oncePer: t.oncePer ?? 'resource',
  };
  for (const m of t.condition.matchAll(/%([a-zA-Z][A-Za-z0-9]*)/g)) {
    const name = m[1]!;
    if (!['resource', 'context', 'ucum', 'sct', 'loinc'].includes(name) && !(t.context && name in t.context)) {
      at(['trigger', 'condition'], `trigger.condition: %${name} is not declared under trigger.context`);
    }
  }

  const timeZone = data.defaults?.timeZone ?? options.defaultTimeZone;
  if (!isValidTimeZone(timeZone)) at(['defaults', 'timeZone'], `defaults.timeZone: unknown time zone "${timeZone}"`);
  const language = data.defaults?.language ?? options.defaultLanguage ?? 'en';

  const seen = new Set<string>();
  const activities: ActivityDefinition[] = data.activities.map((a, i) => {
    if (seen.has(a.id)) at(['activities', i, 'id'], `activities[${i}].id: duplicate activity id "${a.id}"`);
    seen.add(a.id);
    const templates = a.templates ?? {};
    if (a.kind !== 'call' && Object.keys(templates).length === 0) at(['activities', i], `activities[${i}]: a ${a.kind} activity needs templates`);
    if (a.kind === 'questionnaire' && !a.questionnaire) at(['activities', i], `activities[${i}]: a questionnaire activity needs "questionnaire"`);
    for (const [lang, text] of Object.entries(templates)) {
      for (const name of unknownPlaceholders(text)) at(['activities', i, 'templates', lang], `activities[${i}].templates.${lang}: unknown placeholder {{${name}}}`);
    }
    return {
      id: a.id,
      offset: a.offset,
      kind: a.kind,
      title: a.title ?? a.id,
      purpose: a.purpose ?? 'care-plan',
      questionnaire: a.questionnaire,
      skipIfRecovered: a.skipIfRecovered ?? false,
      templates,
    };
  });
  if (problems.length) throw loadError(file, problems);

  return {
    id: data.id,
    version: data.version ?? '1',
    title: data.title,
    description: data.description,
    status: data.status ?? 'active',
    url: `${PLAN_CANONICAL_BASE}/${data.id}`,
    file,
    hash: createHash('sha256').update(text).digest('hex').slice(0, 16),
    trigger,
    language,
    timeZone,
    quietHours: data.defaults?.quietHours,
    channels: data.channels?.allowed ?? [...CHANNELS],
    elderlyAge: data.channels?.elderlyAge,
    activities,
  };
}
