/**
 * @module Reading URL search parameters into clauses (ANDed; each clause's values are ORed) and
 * control options. Names follow https://hl7.org/fhir/R4/search.html: `name[:modifier]`,
 * chains `subject:Patient.identifier`, reverse chains `_has:Observation:patient:code`.
 */
import { CarebridgeError } from '../../errors/index.js';
import { isResourceType, parameterOf, type SearchParamDef } from './parameters.js';
import { splitEscaped } from './values.js';

export type Clause =
  | { readonly kind: 'value'; readonly def: SearchParamDef; readonly modifier?: string; readonly values: readonly string[] }
  | { readonly kind: 'chain'; readonly def: SearchParamDef; readonly targetTypes: readonly string[]; readonly inner: Clause }
  | { readonly kind: 'has'; readonly sourceType: string; readonly refDef: SearchParamDef; readonly inner: Clause };

/** Result-shaping parameters (never index lookups). */
export const CONTROL_PARAMS = new Set([
  '_count', '_sort', '_include', '_revinclude', '_total', '_summary', '_elements', '_cursor', '_format', '_pretty', '_type',
]);

const MODIFIERS: Record<string, readonly string[]> = {
  string: ['exact', 'contains', 'missing'],
  token: ['not', 'text', 'missing'],
  date: ['missing'],
  reference: ['missing'],
  quantity: ['missing'],
  number: ['missing'],
  uri: ['below', 'missing'],
  composite: [],
};

/** A parameter name the type does not know (lenient: warning; strict: 400). */
export class UnknownParameter extends Error {
  constructor(readonly parameter: string) {
    super(`Unknown search parameter '${parameter}'`);
  }
}

export function unsupported(parameter: string, reason: string): CarebridgeError {
  const message = `Search parameter '${parameter}': ${reason}`;
  return new CarebridgeError('CB_ERR_SEARCH_INVALID_PARAM', message, { details: [{ diagnostics: message, expression: parameter }] });
}

/**
 * One URL parameter occurrence → a clause on `type`. Throws UnknownParameter for unknown names,
 * CarebridgeError for known names used wrongly.
 */
export function parseClause(type: string, key: string, rawValue: string): Clause {
  if (key.startsWith('_has:')) return parseHas(type, key, rawValue);
  const dot = key.indexOf('.');
  const head = dot >= 0 ? key.slice(0, dot) : key;
  const [code, modifier, ...extra] = head.split(':');
  const def = parameterOf(type, code);
  if (!def) throw new UnknownParameter(key);
  if (extra.length > 0) throw unsupported(key, 'more than one modifier');
  if (dot >= 0) return parseChain(type, def, modifier, key.slice(dot + 1), key, rawValue);
  const values = splitEscaped(rawValue, ',').filter((v) => v !== '');
  if (values.length === 0) throw unsupported(key, 'empty value');
  if (modifier !== undefined) checkModifier(def, modifier, key);
  if (modifier === 'missing' && !['true', 'false'].includes(rawValue)) throw unsupported(key, ':missing takes true or false');
  return { kind: 'value', def, modifier, values };
}

function checkModifier(def: SearchParamDef, modifier: string, key: string): void {
  if (def.type === 'reference' && isResourceType(modifier)) {
    if (def.targets.length > 0 && !def.targets.includes(modifier)) throw unsupported(key, `${modifier} is not a target of ${def.code}`);
    return;
  }
  if (!(MODIFIERS[def.type] ?? []).includes(modifier)) throw unsupported(key, `modifier :${modifier} is not supported`);
}

function parseChain(type: string, def: SearchParamDef, modifier: string | undefined, rest: string, key: string, rawValue: string): Clause {
  if (def.type !== 'reference') throw unsupported(key, 'only reference parameters can be chained');
  const candidates = modifier ? [modifier] : def.targets.length > 0 ? def.targets : [];
  if (modifier && !isResourceType(modifier)) throw unsupported(key, `unknown resource type ${modifier}`);
  const innerCode = rest.split(/[.:]/)[0];
  const targetTypes = candidates.filter((t) => parameterOf(t, innerCode) !== undefined);
  if (targetTypes.length === 0) throw new UnknownParameter(key);
  // Every candidate type must read the chained part the same way; parse it against the first.
  const inner = parseClause(targetTypes[0], rest, rawValue);
  if (targetTypes.length > 1 && inner.kind !== 'value') throw unsupported(key, 'name the target type (subject:Patient.x) to chain further');
  return { kind: 'chain', def, targetTypes, inner };
}

function parseHas(type: string, key: string, rawValue: string): Clause {
  const parts = key.split(':');
  if (parts.length < 4) throw unsupported(key, 'expected _has:Type:reference:parameter');
  const [, sourceType, refCode] = parts;
  if (!isResourceType(sourceType)) throw unsupported(key, `unknown resource type ${sourceType}`);
  const refDef = parameterOf(sourceType, refCode);
  if (!refDef || refDef.type !== 'reference') throw unsupported(key, `${sourceType} has no reference parameter ${refCode}`);
  if (refDef.targets.length > 0 && !refDef.targets.includes(type)) throw unsupported(key, `${sourceType}.${refCode} does not point to ${type}`);
  const inner = parseClause(sourceType, parts.slice(3).join(':'), rawValue);
  return { kind: 'has', sourceType, refDef, inner };
}
