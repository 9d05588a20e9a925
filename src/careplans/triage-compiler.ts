/** @module A triage*.yaml file → checked TriageRules (`file:line: reason` on any problem). */
import { TRIAGE_FILE_SCHEMA } from './plan-schema.js';
import type { TriageLevel, TriageRule } from './plan-types.js';
import { YamlSource, loadError, validateAgainst } from './yaml-source.js';

interface TriageFile {
  rules: Array<{ id: string; level: TriageLevel; keywords?: Record<string, string[]>; codes?: Array<{ system?: string; code: string }>; score?: { linkId: string; min?: number; max?: number } }>;
}

export function compileTriageFile(file: string, text: string): TriageRule[] {
  const source = YamlSource.parse(file, text);
  validateAgainst(source, TRIAGE_FILE_SCHEMA);
  const data = source.data as TriageFile;
  const seen = new Set<string>();
  const problems: Array<{ line: number; reason: string }> = [];
  data.rules.forEach((r, i) => {
    if (seen.has(r.id)) problems.push({ line: source.lineOf(['rules', i, 'id']), reason: `rules[${i}].id: duplicate rule id "${r.id}"` });
    seen.add(r.id);
    if (r.score && r.score.min === undefined && r.score.max === undefined) problems.push({ line: source.lineOf(['rules', i, 'score']), reason: `rules[${i}].score: needs min or max` });
  });
  if (problems.length) throw loadError(file, problems);
  return data.rules.map((r) => ({ id: r.id, level: r.level, file, keywords: r.keywords ?? {}, codes: r.codes ?? [], score: r.score }));
}
