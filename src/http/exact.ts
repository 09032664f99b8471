/**
 * Exact numbers at the edge. JSON bodies are parsed losslessly: every number keeps its source
 * text in a side table keyed by the object that holds it, while the parsed value the schema sees
 * is an ordinary JS number (for type checks only). Query strings record their raw text the same
 * way. Money code reads amounts from the side table, never from the float.
 */
import { isLosslessNumber, parse as losslessParse } from 'lossless-json';
import { parse as parseQs } from 'node:querystring';

const exactText = new WeakMap<object, Map<string, string>>();

function remember(holder: object, key: string, text: string): void {
  let m = exactText.get(holder);
  if (!m) {
    m = new Map();
    exactText.set(holder, m);
  }
  m.set(key, text);
}

/** The source text of a number (body) or value (query) at `holder[key]`, if it came from a request. */
export function numberText(holder: object, key: string): string | undefined {
  return exactText.get(holder)?.get(key);
}

export const JSON_DEPTH_MAX = 32;

export class JsonBodyError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(message);
  }
}

/** Refuse pathological nesting before the recursive parser sees it. */
function checkDepth(text: string): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
      continue;
    }
    if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (++depth > JSON_DEPTH_MAX) throw new JsonBodyError(`JSON nested deeper than ${JSON_DEPTH_MAX} levels`, i);
    } else if (c === 125 || c === 93) depth--;
  }
}

function convert(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (isLosslessNumber(value)) return Number((value as { value: string }).value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const v = value[i];
      if (isLosslessNumber(v)) {
        remember(value, String(i), (v as { value: string }).value);
        value[i] = Number((v as { value: string }).value);
      } else value[i] = convert(v);
    }
    return value;
  }
  const obj = value as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    const v = obj[key];
    if (isLosslessNumber(v)) {
      remember(obj, key, (v as { value: string }).value);
      obj[key] = Number((v as { value: string }).value);
    } else obj[key] = convert(v);
  }
  return obj;
}

export function parseJsonBody(text: string): unknown {
  checkDepth(text);
  let parsed: unknown;
  try {
    parsed = losslessParse(text);
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    const pos = /position (\d+)/.exec(msg);
    throw new JsonBodyError(msg, pos ? Number(pos[1]) : 0);
  }
  return convert(parsed);
}

export const QUERY_KEYS_MAX = 50;

/** Query strings: plain objects (no prototype tricks), raw text remembered for exact amounts. */
export function parseQuery(qs: string): Record<string, unknown> {
  const parsed = parseQs(qs, '&', '=', { maxKeys: QUERY_KEYS_MAX });
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(parsed)) {
    const v = parsed[key];
    // A repeated key becomes an array and fails its (scalar) schema with a clear message.
    // defineProperty, so a key named __proto__ is data, not a prototype change.
    Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
    if (typeof v === 'string') remember(out, key, v);
  }
  return out;
}
