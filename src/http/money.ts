import { invalid } from '../domain/errors.js';
import { parseAmountMinor } from '../domain/money.js';
import { numberText } from './exact.js';

/**
 * The exact minor units of an amount field the schema already validated (`x-money`): read from
 * the number's source text, never from the parsed float.
 */
export function exactAmount(holder: object, key: string, currency: string, loc: 'body' | 'query' = 'body'): bigint {
  const raw = (holder as Record<string, unknown>)[key];
  const text = numberText(holder, key) ?? (typeof raw === 'number' || typeof raw === 'string' ? String(raw) : '');
  const parsed = parseAmountMinor(text, currency);
  if (!parsed.ok) throw invalid([loc, key], `not a valid ${currency} amount (${parsed.problem})`, 'value_error.decimal');
  return parsed.amount_minor;
}

/** The exact decimal text of an amount field whose currency is only known later (refunds). */
export function amountText(holder: object, key: string): string {
  const raw = (holder as Record<string, unknown>)[key];
  return numberText(holder, key) ?? String(raw);
}
