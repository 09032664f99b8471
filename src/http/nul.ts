/**
 * PostgreSQL `text` cannot hold U+0000: a string carrying it would fail inside the query (a 500
 * after work may have begun). Every request is checked at the edge instead and answers 422 naming
 * each such field. The walk runs only when the raw text can hold a NUL (`\u0000` in a JSON body,
 * `%00` in the URL), so ordinary requests pay one scan of text they already read.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type DetailItem, invalidMany } from '../domain/errors.js';

const NUL_MSG = 'string must not contain the NUL character (U+0000)';
const WALK_NODES_MAX = 100_000;

/** Set by the JSON body parsers when the raw body has a `\u0000` escape (the only way JSON carries NUL). */
const BODY_MAY_HOLD_NUL = Symbol('bodyMayHoldNul');

export function jsonTextMayHoldNul(text: string): boolean {
  return /\\u0000/i.test(text);
}

/** Called by every JSON body parser with the raw text: marks the request for the walk below. */
export function noteJsonBodyText(request: FastifyRequest, text: string): void {
  if (jsonTextMayHoldNul(text)) (request as unknown as Record<symbol, boolean>)[BODY_MAY_HOLD_NUL] = true;
}

/** Where a parsed value holds NUL: in a string or in an object key. Bounded; the parser already bounds depth. */
export function nulLocations(value: unknown, prefix: (string | number)[]): DetailItem[] {
  const found: DetailItem[] = [];
  let visited = 0;
  const stack: { v: unknown; loc: (string | number)[] }[] = [{ v: value, loc: prefix }];
  while (stack.length && visited++ < WALK_NODES_MAX && found.length < 50) {
    const { v, loc } = stack.pop()!;
    if (typeof v === 'string') {
      if (v.includes('\u0000')) found.push({ loc, msg: NUL_MSG, type: 'value_error.str.nul' });
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i], loc: [...loc, i] });
    } else if (v !== null && typeof v === 'object') {
      for (const k of Object.keys(v)) {
        if (k.includes('\u0000')) found.push({ loc: [...loc, k], msg: NUL_MSG, type: 'value_error.str.nul' });
        else stack.push({ v: (v as Record<string, unknown>)[k], loc: [...loc, k] });
      }
    }
  }
  return found.reverse();
}

export function rejectNulCharacters(app: FastifyInstance): void {
  app.addHook('preValidation', async (request: FastifyRequest) => {
    const found: DetailItem[] = [];
    if (/%00/i.test(request.url)) {
      found.push(...nulLocations(request.params, ['path']), ...nulLocations(request.query, ['query']));
    }
    // JSON bodies were scanned as text by the parser; form bodies (pages) are small, so walked always.
    const isJson = (request.headers['content-type'] ?? '').toLowerCase().startsWith('application/json');
    if ((request as unknown as Record<symbol, boolean>)[BODY_MAY_HOLD_NUL] || (request.body != null && !isJson)) {
      found.push(...nulLocations(request.body, ['body']));
    }
    if (found.length) throw invalidMany(found);
  });
}
