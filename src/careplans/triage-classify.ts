/** @module Classifies a reply by the declarative triage rules: urgent → recovered → routine. */
import type { Coding, Communication, QuestionnaireResponse, QuestionnaireResponseItem } from 'fhir/r4.js';
import type { TriageLevel, TriageRule } from './plan-types.js';

export interface ReplyContent {
  readonly texts: string[];
  readonly codes: Coding[];
  readonly scores: Map<string, number>;
}

export interface TriageDecision {
  readonly level: TriageLevel;
  /** The rule that decided, absent for the routine default. */
  readonly rule?: string;
}

function walkItems(items: readonly QuestionnaireResponseItem[] | undefined, out: { texts: string[]; codes: Coding[]; scores: Map<string, number> }): void {
  for (const item of items ?? []) {
    for (const a of item.answer ?? []) {
      if (a.valueString) out.texts.push(a.valueString);
      if (a.valueCoding) out.codes.push(a.valueCoding);
      const n = a.valueInteger ?? a.valueDecimal ?? (a.valueCoding?.code && /^\d+(\.\d+)?$/.test(a.valueCoding.code) ? Number(a.valueCoding.code) : undefined);
      if (typeof n === 'number') out.scores.set(item.linkId, n);
      walkItems(a.item, out);
    }
    walkItems(item.item, out);
  }
}

export function replyContent(reply: Communication | QuestionnaireResponse): ReplyContent {
  const out = { texts: [] as string[], codes: [] as Coding[], scores: new Map<string, number>() };
  if (reply.resourceType === 'QuestionnaireResponse') {
    walkItems(reply.item, out);
    return out;
  }
  for (const p of reply.payload ?? []) if (p.contentString) out.texts.push(p.contentString);
  for (const cc of [...(reply.reasonCode ?? []), ...(reply.category ?? []), ...(reply.topic ? [reply.topic] : [])]) {
    out.codes.push(...(cc.coding ?? []));
    if (cc.text) out.texts.push(cc.text);
  }
  return out;
}

const ORDER: readonly TriageLevel[] = ['urgent', 'recovered', 'routine'];

function matches(rule: TriageRule, content: ReplyContent): boolean {
  const haystack = content.texts.join('\n').toLowerCase();
  for (const words of Object.values(rule.keywords)) if (words.some((w) => haystack.includes(w.toLowerCase()))) return true;
  if (rule.codes.some((c) => content.codes.some((k) => k.code === c.code && (!c.system || k.system === c.system)))) return true;
  if (rule.score) {
    const v = content.scores.get(rule.score.linkId);
    if (v !== undefined && (rule.score.min === undefined || v >= rule.score.min) && (rule.score.max === undefined || v <= rule.score.max)) return true;
  }
  return false;
}

export function classifyReply(rules: readonly TriageRule[], content: ReplyContent): TriageDecision {
  for (const level of ORDER) {
    const rule = rules.find((r) => r.level === level && matches(r, content));
    if (rule) return { level, rule: rule.id };
  }
  return { level: 'routine' };
}
