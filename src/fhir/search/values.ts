/**
 * @module Parsing search values: comma OR lists with `\,` escapes, prefixes (eq ne gt lt ge le sa eb
 * ap), token `system|code`, quantity `n|system|code` and numbers with their implied precision.
 * See https://hl7.org/fhir/R4/search.html#prefix
 */
import { CarebridgeError } from '../../errors/index.js';

export const PREFIXES = ['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap'] as const;
export type Prefix = (typeof PREFIXES)[number];

export function invalidValue(param: string, reason: string): CarebridgeError {
  return new CarebridgeError('CB_ERR_SEARCH_INVALID_PARAM', `Invalid value for search parameter '${param}': ${reason}`, {
    details: [{ diagnostics: `Invalid value for search parameter '${param}': ${reason}`, expression: param }],
  });
}

/** Splits on a separator that is not preceded by a backslash; unescapes `\,` `\|` `\$` `\\`. */
export function splitEscaped(value: string, separator: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (ch === '\\' && i + 1 < value.length) {
      current += ch + value[++i];
    } else if (ch === separator) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts;
}

export function unescape(value: string): string {
  return value.replace(/\\([\\,|$])/g, '$1');
}

export function splitPrefix(value: string): { prefix: Prefix; rest: string } {
  const head = value.slice(0, 2);
  if ((PREFIXES as readonly string[]).includes(head) && value.length > 2 && /[-\d.]/.test(value.charAt(2))) {
    return { prefix: head as Prefix, rest: value.slice(2) };
  }
  return { prefix: 'eq', rest: value };
}

export interface TokenValue {
  /** undefined: any system; null: no system (`|code`). */
  readonly system: string | null | undefined;
  /** undefined: any code (`system|`). */
  readonly code: string | undefined;
}

export function parseToken(value: string): TokenValue {
  const parts = splitEscaped(value, '|');
  if (parts.length === 1) return { system: undefined, code: unescape(parts[0]) };
  const system = unescape(parts[0]);
  const code = unescape(parts.slice(1).join('|'));
  return { system: system === '' ? null : system, code: code === '' ? undefined : code };
}

export interface NumberValue {
  readonly prefix: Prefix;
  readonly value: number;
  /** The implied-precision interval for `eq`/`ne`: 100 → [99.5, 100.5]. */
  readonly low: number;
  readonly high: number;
  readonly text: string;
}

const NUMBER = /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/;

export function parseNumber(param: string, raw: string): NumberValue {
  const { prefix, rest } = splitPrefix(raw);
  if (!NUMBER.test(rest)) throw invalidValue(param, `'${raw}' is not a number`);
  const value = Number(rest);
  const decimals = /e/i.test(rest) ? 0 : (rest.split('.')[1]?.length ?? 0);
  const half = 0.5 * 10 ** -decimals;
  return { prefix, value, low: value - half, high: value + half, text: rest };
}

export interface QuantityValue extends NumberValue {
  readonly system?: string;
  readonly code?: string;
}

export function parseQuantity(param: string, raw: string): QuantityValue {
  const parts = splitEscaped(raw, '|').map(unescape);
  const number = parseNumber(param, parts[0]);
  const system = parts[1] ? parts[1] : undefined;
  const code = parts[2] ? parts[2] : undefined;
  if (parts.length === 2 && system) return { ...number, code: system };
  return { ...number, system, code };
}
