/**
 * Shared TypeBox building blocks. Route schemas are the contract: they validate the request, type
 * the handler, serialize the response and feed /openapi.json — so field rules live here once.
 */
import { type Static, type TSchema, Type } from 'typebox';
import { CURRENCY_CODES } from '../domain/money.js';

export { Type };
export type { Static, TSchema };

export const ID_MAX = 9_007_199_254_740_991; // ids are JSON integers; keep them exact

/** Mark a schema as also accepting null (OpenAPI 3.1 style: type: [T, 'null']). */
export function Nullable<T extends TSchema>(schema: T, extra: Record<string, unknown> = {}) {
  const s = schema as unknown as Record<string, unknown>;
  const type = s.type;
  if (typeof type === 'string') {
    return Type.Unsafe<Static<T> | null>({ ...s, ...extra, type: [type, 'null'] });
  }
  if (Array.isArray(s.enum)) {
    return Type.Unsafe<Static<T> | null>({ ...s, ...extra, enum: [...(s.enum as unknown[]), null] });
  }
  return Type.Unsafe<Static<T> | null>({ ...extra, anyOf: [s, { type: 'null' }] });
}

/** An enum of string literals as one `enum` keyword (one clear error instead of an anyOf cascade). */
export function StringEnum<const T extends readonly string[]>(values: T, opts: Record<string, unknown> = {}) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...opts });
}

export const Currency = (opts: Record<string, unknown> = {}) =>
  Type.String({
    pattern: '^[A-Z]{3}$',
    'x-currency': true,
    description: `ISO 4217 code, uppercase. This server holds ${CURRENCY_CODES.join(', ')}.`,
    example: 'USD',
    ...opts,
  });

export const Phone = (opts: Record<string, unknown> = {}) =>
  Type.String({ pattern: '^[1-9]\\d{7,14}$', description: 'E.164 digits without +, 8–15 digits', example: '231771234567', ...opts });

/** A request amount: a positive JSON number; its decimals are checked against the currency by `x-money`. */
export const Amount = (opts: Record<string, unknown> = {}) =>
  Type.Number({ exclusiveMinimum: 0, maximum: 1e12, description: 'A positive, non-zero amount in major units', example: 250.0, ...opts });

/** The response form of an amount: a JSON number, exact for every amount this server accepts. */
export const AmountOut = (opts: Record<string, unknown> = {}) => Type.Number(opts);

export const UuidV4 = (opts: Record<string, unknown> = {}) =>
  Type.String({
    pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-4[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$',
    description: 'A version-4 UUID',
    example: '550e8400-e29b-41d4-a716-446655440000',
    ...opts,
  });

export const IdInt = (opts: Record<string, unknown> = {}) => Type.Integer({ minimum: 1, maximum: ID_MAX, ...opts });

/** Ids that the docs send as JSON strings (execution bodies): digits only. */
export const IdString = (opts: Record<string, unknown> = {}) =>
  Type.String({ pattern: '^[1-9][0-9]{0,15}$', description: 'Object ID as a string of digits', example: '55', ...opts });

export const DateTime = (opts: Record<string, unknown> = {}) => Type.String({ format: 'date-time', ...opts });

/** Timestamps in responses (Date objects serialize to ISO-8601). */
export const DateTimeOut = () => Type.Unsafe<Date | string>({ type: 'string', format: 'date-time' });
export const NullableDateTimeOut = () => Type.Unsafe<Date | string | null>({ type: ['string', 'null'], format: 'date-time' });

export const ValidationErrorItem = Type.Object(
  {
    loc: Type.Array(Type.Union([Type.String(), Type.Integer()])),
    msg: Type.String(),
    type: Type.String(),
  },
  { $id: 'ValidationError', title: 'ValidationError' },
);

export const HTTPValidationError = Type.Object(
  { detail: Type.Array(Type.Ref('ValidationError')) },
  { $id: 'HTTPValidationError', title: 'HTTPValidationError' },
);

export const ErrorMessage = Type.Object({ detail: Type.String() }, { $id: 'ErrorMessage', title: 'ErrorMessage' });

/** Pairs of (amount field, currency field) that `x-money` checks on an object schema. */
export function withMoney<T extends TSchema>(schema: T, pairs: { amount: string; currency?: string }[]): T {
  return { ...(schema as object), 'x-money': pairs } as unknown as T;
}

/** Optional paging for list endpoints; the response stays a JSON array and the next cursor rides in a header. */
export const LIST_LIMIT_MAX = 100;
export const PageQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: LIST_LIMIT_MAX, description: `Page size, at most ${LIST_LIMIT_MAX}` })),
  starting_after: Type.Optional(Type.Integer({ minimum: 0, maximum: ID_MAX, description: 'Return objects after this id (from the X-Next-Cursor header)' })),
};
export const NEXT_CURSOR_HEADER = 'x-next-cursor';
