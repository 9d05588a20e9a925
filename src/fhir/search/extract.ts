/**
 * @module Turning the values a parameter's expression selects into index rows, by parameter type.
 * The element type is read from the value's shape (CodeableConcept has `coding`/`text`, Period has
 * `start`/`end`, ...) because choice types and fhirpath results do not carry it.
 */
import type { SearchParamDef } from './parameters.js';
import { compileExpression } from './expression.js';
import { parseDateRange } from './date-range.js';
import { MAX_INDEXED_LENGTH, normalizeString } from './normalize.js';
import { parseReference } from './reference.js';

export interface TokenRow { param: string; system: string | null; value: string | null; text: string | null }
export interface StringRow { param: string; value: string; exact: string }
export interface DateRow { param: string; low: string; high: string }
export interface ReferenceRow { param: string; target_type: string | null; target_id: string | null; url: string | null }
export interface QuantityRow { param: string; low: string | null; high: string | null; system: string | null; code: string | null; unit: string | null }
export interface NumberRow { param: string; low: string | null; high: string | null }
export interface UriRow { param: string; value: string }

export interface IndexRows {
  token: TokenRow[];
  string: StringRow[];
  date: DateRow[];
  reference: ReferenceRow[];
  quantity: QuantityRow[];
  number: NumberRow[];
  uri: UriRow[];
}

type Json = Record<string, unknown>;

export function emptyRows(): IndexRows {
  return { token: [], string: [], date: [], reference: [], quantity: [], number: [], uri: [] };
}

/** Appends the rows of one parameter for one resource. */
export function extractInto(rows: IndexRows, def: SearchParamDef, resource: object): void {
  for (const expression of def.expressions) {
    const compiled = compileExpression(expression);
    for (const value of compiled.evaluate(resource)) {
      switch (def.type) {
        case 'token': tokenRows(rows.token, def.code, value); break;
        case 'string': stringRows(rows.string, def.code, value); break;
        case 'date': dateRows(rows.date, def.code, value); break;
        case 'reference': referenceRows(rows.reference, def.code, value, compiled.resolveIs); break;
        case 'quantity': quantityRows(rows.quantity, def.code, value); break;
        case 'number': numberRows(rows.number, def.code, value); break;
        case 'uri': if (typeof value === 'string') rows.uri.push({ param: def.code, value: value.slice(0, MAX_INDEXED_LENGTH) }); break;
        default: break;
      }
    }
  }
}

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v.slice(0, MAX_INDEXED_LENGTH) : null);
const text = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? normalizeString(v) : null);

function tokenRows(out: TokenRow[], param: string, v: unknown): void {
  if (typeof v === 'boolean' || typeof v === 'number') {
    out.push({ param, system: null, value: String(v), text: null });
  } else if (typeof v === 'string') {
    out.push({ param, system: null, value: str(v), text: null });
  } else if (isObject(v)) {
    if (Array.isArray(v.coding) || (typeof v.text === 'string' && v.value === undefined)) {
      for (const coding of Array.isArray(v.coding) ? v.coding : []) if (isObject(coding)) codingRow(out, param, coding);
      if (typeof v.text === 'string') out.push({ param, system: null, value: null, text: text(v.text) });
    } else if (v.code !== undefined) {
      codingRow(out, param, v);
    } else if (v.value !== undefined) {
      // Identifier or ContactPoint: system|value; an Identifier's type text serves :text.
      const typeText = isObject(v.type) ? v.type.text : undefined;
      out.push({ param, system: str(v.system), value: str(v.value), text: text(typeText) });
    }
  }
}

function codingRow(out: TokenRow[], param: string, coding: Json): void {
  if (coding.code === undefined && coding.display === undefined) return;
  out.push({ param, system: str(coding.system), value: str(coding.code), text: text(coding.display) });
}

const NAME_PARTS = ['family', 'given', 'prefix', 'suffix', 'text'];
const ADDRESS_PARTS = ['line', 'city', 'district', 'state', 'postalCode', 'country', 'text'];

function stringRows(out: StringRow[], param: string, v: unknown): void {
  if (typeof v === 'string') {
    if (v.trim() !== '') out.push({ param, value: normalizeString(v), exact: v.slice(0, MAX_INDEXED_LENGTH) });
    return;
  }
  if (!isObject(v)) return;
  const isAddress = 'city' in v || 'line' in v || 'postalCode' in v || 'country' in v;
  for (const part of isAddress ? ADDRESS_PARTS : NAME_PARTS) {
    const value = v[part];
    for (const s of Array.isArray(value) ? value : [value]) if (typeof s === 'string') stringRows(out, param, s);
  }
  // "Hans Müller" as typed into a CRM search box: given names then family, when there is no text.
  if (!isAddress && typeof v.text !== 'string' && Array.isArray(v.given) && typeof v.family === 'string') {
    stringRows(out, param, [...v.given.filter((g) => typeof g === 'string'), v.family].join(' '));
  }
}

const INFINITY = 'infinity';
const MINUS_INFINITY = '-infinity';

function dateRows(out: DateRow[], param: string, v: unknown): void {
  if (typeof v === 'string') {
    const range = parseDateRange(v);
    if (range) out.push({ param, low: range.low.toISOString(), high: range.high.toISOString() });
  } else if (isObject(v)) {
    if ('start' in v || 'end' in v) {
      const start = typeof v.start === 'string' ? parseDateRange(v.start) : undefined;
      const end = typeof v.end === 'string' ? parseDateRange(v.end) : undefined;
      if (!start && !end) return;
      out.push({ param, low: start?.low.toISOString() ?? MINUS_INFINITY, high: end?.high.toISOString() ?? INFINITY });
    } else if ('event' in v || 'repeat' in v) {
      for (const event of Array.isArray(v.event) ? v.event : []) dateRows(out, param, event);
      if (isObject(v.repeat) && isObject(v.repeat.boundsPeriod)) dateRows(out, param, v.repeat.boundsPeriod);
    }
  }
}

function referenceRows(out: ReferenceRow[], param: string, v: unknown, resolveIs: string | undefined): void {
  const reference = typeof v === 'string' ? v : isObject(v) && typeof v.reference === 'string' ? v.reference : undefined;
  if (!reference) return;
  const parsed = parseReference(reference);
  if (!parsed) return;
  const declared = isObject(v) && typeof v.type === 'string' ? v.type : undefined;
  const targetType = parsed.type ?? declared ?? null;
  if (resolveIs && targetType !== resolveIs) return;
  out.push({ param, target_type: targetType, target_id: parsed.url ? null : (parsed.id ?? null), url: parsed.url ?? null });
}

function decimal(v: unknown): string | null {
  return typeof v === 'number' && Number.isFinite(v) ? String(v) : null;
}

function quantityRows(out: QuantityRow[], param: string, v: unknown): void {
  if (!isObject(v)) return;
  if (isObject(v.low) || isObject(v.high)) {
    // Range: the interval it spans; units taken from whichever end is present.
    const low = isObject(v.low) ? v.low : undefined;
    const high = isObject(v.high) ? v.high : undefined;
    const unitSource = low ?? high ?? {};
    out.push({ param, low: decimal(low?.value), high: decimal(high?.value), system: str(unitSource.system), code: str(unitSource.code), unit: str(unitSource.unit) });
    return;
  }
  const value = decimal(v.value);
  if (value === null) return;
  out.push({ param, low: value, high: value, system: str(v.system), code: str(v.code ?? v.currency), unit: str(v.unit) });
}

function numberRows(out: NumberRow[], param: string, v: unknown): void {
  const value = typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v) ? v : decimal(v);
  if (value !== null) out.push({ param, low: value, high: value });
}
