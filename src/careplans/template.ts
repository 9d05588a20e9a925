/**
 * @module Message templates: `{{patient.name}}`-style placeholders, checked at load time against the
 * names the dispatcher fills in, rendered per language.
 */

/** Placeholders a template may use; the dispatcher supplies each (empty string when unknown). */
export const TEMPLATE_PLACEHOLDERS = [
  'patient.name',
  'patient.family',
  'patient.given',
  'anchor.time',
  'due.time',
  'appointment.start',
  'plan.title',
] as const;
export type TemplatePlaceholder = (typeof TEMPLATE_PLACEHOLDERS)[number];
export type TemplateValues = Partial<Record<TemplatePlaceholder, string>>;

const PLACEHOLDER = /\{\{\s*([a-zA-Z.]+)\s*\}\}/g;

/** Names in a template that are not known placeholders (for load-time errors). */
export function unknownPlaceholders(template: string): string[] {
  const known = new Set<string>(TEMPLATE_PLACEHOLDERS);
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1]!).filter((n) => !known.has(n));
}

export function renderTemplate(template: string, values: TemplateValues): string {
  return template.replace(PLACEHOLDER, (_all, name: string) => values[name as TemplatePlaceholder] ?? '');
}

/**
 * Picks the template for a language: exact tag (`zh-CN`), then the primary subtag (`zh`), then any
 * tag with that primary subtag, then the fallback language.
 */
export function pickLanguage<T>(byLanguage: Readonly<Record<string, T>>, wanted: string | undefined, fallback: string): { language: string; value: T } | undefined {
  const tags = Object.keys(byLanguage);
  const find = (tag: string | undefined) => {
    if (!tag) return undefined;
    const lower = tag.toLowerCase();
    const primary = lower.split('-')[0];
    return tags.find((t) => t.toLowerCase() === lower) ?? tags.find((t) => t.toLowerCase() === primary) ?? tags.find((t) => t.toLowerCase().split('-')[0] === primary);
  };
  const tag = find(wanted) ?? find(fallback) ?? tags[0];
  return tag === undefined ? undefined : { language: tag, value: byLanguage[tag]! };
}
