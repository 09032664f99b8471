/**
 * Request validation: the route's TypeBox schema is compiled by Ajv (all errors, no silent
 * stripping, no type coercion of bodies) and every failure becomes a FastAPI-shaped `detail` item.
 * Bodies are strict (a string is never coerced into a number); query and path parameters arrive as
 * text, so their compiler converts declared integers, exactly as FastAPI does.
 */
import { Ajv, type ErrorObject, type KeywordCxt } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { DetailItem } from '../domain/errors.js';
import { currencyInfo, describeAmountProblem, parseAmountMinor } from '../domain/money.js';
import { numberText } from './exact.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv, formats?: string[]) => Ajv;

/** A pair of sibling fields holding an amount and its currency; `currency` may be fixed instead. */
export interface MoneyPair {
  amount: string;
  currency?: string;
}

/**
 * `x-money` on an object schema: each named amount must be representable in its currency
 * (positive, no more decimals than the currency has, not absurdly large). Cross-field, so it
 * cannot be a plain JSON-Schema keyword; it runs in the same pass so all problems are listed.
 */
function moneyKeyword(schema: MoneyPair[], data: Record<string, unknown>, _parent: unknown, cxt?: { instancePath: string }): boolean {
  const errors: Partial<ErrorObject>[] = [];
  const base = cxt?.instancePath ?? '';
  for (const pair of schema) {
    const raw = data[pair.amount];
    if (typeof raw !== 'number') continue; // missing or wrong type is reported by the property's own schema
    const currency = pair.currency ? data[pair.currency] : undefined;
    if (typeof currency !== 'string' || !currencyInfo(currency)) continue; // reported by x-currency
    const text = numberText(data, pair.amount) ?? String(raw);
    const result = parseAmountMinor(text, currency);
    if (result.ok) continue;
    const { msg: message, type } = describeAmountProblem(result.problem, currency, text);
    errors.push({ instancePath: `${base}/${pair.amount}`, keyword: 'x-money', message, params: { type } });
  }
  (moneyKeyword as unknown as { errors: unknown }).errors = errors;
  return errors.length === 0;
}

/** `x-currency` on a string schema: the code must be one this server holds (the pattern checks its form). */
function currencyKeyword(_schema: boolean, data: unknown, _parent: unknown, cxt?: { instancePath: string }): boolean {
  if (typeof data !== 'string' || !/^[A-Z]{3}$/.test(data) || currencyInfo(data)) {
    (currencyKeyword as unknown as { errors: unknown }).errors = [];
    return true;
  }
  (currencyKeyword as unknown as { errors: unknown }).errors = [
    {
      instancePath: cxt?.instancePath ?? '',
      keyword: 'x-currency',
      message: `unsupported currency ${data}; this server holds USD, LRD, RWF, NGN`,
      params: { type: 'value_error.currency' },
    },
  ];
  return false;
}

function makeAjv(coerce: boolean): Ajv {
  const ajv = new Ajv({
    allErrors: true, // every failure of a request is listed, not only the first
    removeAdditional: false, // unknown keys are an error, not silently dropped
    useDefaults: true,
    coerceTypes: coerce,
    verbose: true, // errors carry the offending data, so null and missing read differently
    strict: false,
    allowUnionTypes: true,
    unicodeRegExp: false,
  });
  addFormats(ajv, ['date-time', 'date', 'email', 'uuid', 'uri', 'password']);
  ajv.addKeyword({ keyword: 'x-money', type: 'object', schemaType: 'array', errors: true, validate: moneyKeyword as never });
  ajv.addKeyword({ keyword: 'x-currency', schemaType: 'boolean', errors: true, validate: currencyKeyword as never });
  // Documentation-only keywords that appear in route schemas.
  for (const kw of ['example', 'x-ids-as']) ajv.addKeyword({ keyword: kw });
  return ajv;
}

export const bodyAjv = makeAjv(false);
export const paramAjv = makeAjv(true);

const CONTEXT_LOC: Record<string, string> = { body: 'body', querystring: 'query', params: 'path', headers: 'header' };

function locOf(context: string, e: ErrorObject): (string | number)[] {
  const loc: (string | number)[] = [CONTEXT_LOC[context] ?? context];
  for (const seg of e.instancePath.split('/').slice(1)) {
    const unescaped = seg.replace(/~1/g, '/').replace(/~0/g, '~');
    loc.push(/^\d+$/.test(unescaped) ? Number(unescaped) : unescaped);
  }
  if (e.keyword === 'required') loc.push((e.params as { missingProperty: string }).missingProperty);
  if (e.keyword === 'additionalProperties') loc.push((e.params as { additionalProperty: string }).additionalProperty);
  return loc;
}

const TYPE_MESSAGES: Record<string, [string, string]> = {
  string: ['str type expected', 'type_error.str'],
  integer: ['value is not a valid integer', 'type_error.integer'],
  number: ['value is not a valid number', 'type_error.number'],
  boolean: ['value could not be parsed to a boolean', 'type_error.bool'],
  object: ['value is not a valid dict', 'type_error.dict'],
  array: ['value is not a valid list', 'type_error.list'],
  null: ['value is not none', 'type_error.none.allowed'],
};

function describe(e: ErrorObject): { msg: string; type: string } {
  const p = e.params as Record<string, any>;
  switch (e.keyword) {
    case 'required':
      return { msg: 'field required', type: 'value_error.missing' };
    case 'type': {
      if (e.data === null) return { msg: 'none is not an allowed value', type: 'type_error.none.not_allowed' };
      if (e.data === undefined) return { msg: 'field required', type: 'value_error.missing' };
      const expected = Array.isArray(p.type) ? p.type.filter((t: string) => t !== 'null')[0] : String(p.type).split(',')[0];
      const [msg, type] = TYPE_MESSAGES[expected] ?? [`value is not a valid ${expected}`, `type_error.${expected}`];
      return { msg, type };
    }
    case 'enum':
      return {
        msg: `value is not a valid enumeration member; permitted: ${(p.allowedValues as unknown[]).map((v) => `'${String(v)}'`).join(', ')}`,
        type: 'type_error.enum',
      };
    case 'const':
      return { msg: `unexpected value; permitted: '${String(p.allowedValue)}'`, type: 'value_error.const' };
    case 'pattern':
      return { msg: `string does not match regex "${p.pattern}"`, type: 'value_error.str.regex' };
    case 'format': {
      if (p.format === 'uuid') return { msg: 'value is not a valid uuid', type: 'type_error.uuid' };
      if (p.format === 'date-time') return { msg: 'invalid datetime format', type: 'value_error.datetime' };
      if (p.format === 'date') return { msg: 'invalid date format', type: 'value_error.date' };
      if (p.format === 'email') return { msg: 'value is not a valid email address', type: 'value_error.email' };
      if (p.format === 'uri') return { msg: 'invalid or missing URL scheme', type: 'value_error.url' };
      return { msg: `invalid ${p.format} format`, type: `value_error.${p.format}` };
    }
    case 'minLength':
      return { msg: `ensure this value has at least ${p.limit} characters`, type: 'value_error.any_str.min_length' };
    case 'maxLength':
      return { msg: `ensure this value has at most ${p.limit} characters`, type: 'value_error.any_str.max_length' };
    case 'minimum':
      return { msg: `ensure this value is greater than or equal to ${p.limit}`, type: 'value_error.number.not_ge' };
    case 'exclusiveMinimum':
      return { msg: `ensure this value is greater than ${p.limit}`, type: 'value_error.number.not_gt' };
    case 'maximum':
      return { msg: `ensure this value is less than or equal to ${p.limit}`, type: 'value_error.number.not_le' };
    case 'exclusiveMaximum':
      return { msg: `ensure this value is less than ${p.limit}`, type: 'value_error.number.not_lt' };
    case 'minItems':
      return { msg: `ensure this value has at least ${p.limit} items`, type: 'value_error.list.min_items' };
    case 'maxItems':
      return { msg: `ensure this value has at most ${p.limit} items`, type: 'value_error.list.max_items' };
    case 'additionalProperties':
      return { msg: 'extra fields not permitted', type: 'value_error.extra' };
    case 'x-money':
    case 'x-currency':
      return { msg: e.message ?? 'invalid value', type: String(p.type) };
    default:
      return { msg: e.message ?? 'invalid value', type: `value_error.${e.keyword}` };
  }
}

/** Ajv errors → FastAPI `detail` items, one per distinct location and problem. */
export function toDetail(context: string, errors: ErrorObject[]): DetailItem[] {
  const out: DetailItem[] = [];
  const seen = new Set<string>();
  // A failed anyOf/oneOf repeats each branch's complaint; report the combinator once instead.
  const combinatorPaths = new Set(errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf').map((e) => e.instancePath));
  for (const e of errors) {
    if (e.keyword === 'if') continue;
    if (combinatorPaths.has(e.instancePath) && e.keyword !== 'anyOf' && e.keyword !== 'oneOf' && e.schemaPath.includes('Of/')) continue;
    const loc = locOf(context, e);
    const { msg, type } = e.keyword === 'anyOf' || e.keyword === 'oneOf' ? { msg: 'value does not match any allowed form', type: 'value_error.union' } : describe(e);
    const key = `${loc.join('\u0000')}|${type}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ loc, msg, type });
  }
  return out;
}

export type { KeywordCxt };
