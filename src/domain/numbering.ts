/**
 * Mobile-money numbering plans, pure: which operator (and so which Dollr payment method) a phone
 * number belongs to, from its prefix. Only the markets Dollr serves: Liberia and Rwanda.
 *
 * Sources (the ranges below are exactly these, nothing guessed):
 *  - Liberia, +231, national significant numbers of 9 digits for mobile:
 *      77x xxx xxx  Orange Liberia (formerly Cellcom)
 *      88x xxx xxx  Lonestar Cell MTN
 *      555 xx xxxx  Lonestar Cell MTN
 *    Google libphonenumber resources/PhoneNumberMetadata.xml, territory LR, <mobile> pattern
 *    `(?:(?:330|555|(?:77|88)\d)\d|4[67])\d{5}|[56]\d{6}`, and resources/carrier/en/231.txt
 *    (`231555|Lonestar Cell`, `2317|Orange`, `2318|Lonestar Cell`); ITU-T E.164 national plan for
 *    Liberia (itu.int/oth/T0202000079). Left out on purpose: 330 (West Africa Telecom, no mobile
 *    money) and the 7-digit legacy ranges 4[67]/5/6 (no mobile-money wallets are issued on them).
 *    Other 55x ranges are not allocated to a mobile operator in those sources, so they are refused
 *    rather than guessed.
 *  - Rwanda, +250, 9-digit mobile numbers 7[2389]x xxx xxx:
 *      78x, 79x  MTN Rwanda (MoMo)
 *      72x, 73x  Airtel Rwanda (72 came from Tigo, merged into Airtel in 2018)
 *    libphonenumber territory RW, <mobile> pattern `7[2389]\d{7}` (comment: 75 was Rwandatel,
 *    licence revoked), RURA national numbering plan. Orange left Rwanda (its network was sold to
 *    Airtel), so no range maps to ORANGE_MONEY_RWA today.
 */
import { CURRENCIES_OF_COUNTRY, type MomoMethod } from './enums.js';

export interface OperatorRange {
  /** Digits after the country code that start the range. */
  readonly prefix: string;
  readonly carrier: string;
  readonly method: MomoMethod;
}

export interface NumberingPlan {
  readonly country: string; // ISO-3166 alpha-2
  readonly country_name: string;
  readonly calling_code: string;
  /** Length of the national significant number (digits after the calling code) for mobile. */
  readonly nsn_length: number;
  readonly ranges: readonly OperatorRange[];
}

export const NUMBERING_PLANS: readonly NumberingPlan[] = [
  {
    country: 'LR',
    country_name: 'Liberia',
    calling_code: '231',
    nsn_length: 9,
    ranges: [
      { prefix: '77', carrier: 'Orange', method: 'ORANGE_MONEY_LBR' },
      { prefix: '88', carrier: 'MTN', method: 'MTN_MOMO_LBR' },
      { prefix: '555', carrier: 'MTN', method: 'MTN_MOMO_LBR' },
    ],
  },
  {
    country: 'RW',
    country_name: 'Rwanda',
    calling_code: '250',
    nsn_length: 9,
    ranges: [
      { prefix: '78', carrier: 'MTN', method: 'MTN_MOMO_RWA' },
      { prefix: '79', carrier: 'MTN', method: 'MTN_MOMO_RWA' },
      { prefix: '72', carrier: 'Airtel', method: 'AIRTEL_RWA' },
      { prefix: '73', carrier: 'Airtel', method: 'AIRTEL_RWA' },
    ],
  },
];

/** One line naming what is supported, for error messages. */
export const SUPPORTED_MARKETS_TEXT =
  'supported markets: Liberia +231 (Orange 77x, MTN 88x/555) and Rwanda +250 (MTN 78x/79x, Airtel 72x/73x), ' +
  'written as E.164 digits without + (e.g. 231771234567)';

export interface OperatorMatch {
  readonly country: string;
  readonly carrier: string;
  readonly method: MomoMethod;
  readonly currencies: readonly string[];
  readonly phone: string;
}

export type NumberingProblem = 'unknown_country' | 'wrong_length' | 'unknown_prefix';

export type NumberingResult = { ok: true; match: OperatorMatch } | { ok: false; problem: NumberingProblem; country?: NumberingPlan };

/** The operator of an E.164 number written as digits without '+'. */
export function operatorOf(phone: string): NumberingResult {
  const plan = NUMBERING_PLANS.find((p) => phone.startsWith(p.calling_code));
  if (!plan) return { ok: false, problem: 'unknown_country' };
  const nsn = phone.slice(plan.calling_code.length);
  if (nsn.length !== plan.nsn_length || !/^\d+$/.test(nsn)) return { ok: false, problem: 'wrong_length', country: plan };
  // Longest prefix first, so a 3-digit range is never shadowed by a 2-digit one.
  const range = [...plan.ranges].sort((a, b) => b.prefix.length - a.prefix.length).find((r) => nsn.startsWith(r.prefix));
  if (!range) return { ok: false, problem: 'unknown_prefix', country: plan };
  const currencies = CURRENCIES_OF_COUNTRY[plan.country];
  if (!currencies) throw new Error(`assertion: no currencies for ${plan.country}`);
  return { ok: true, match: { country: plan.country, carrier: range.carrier, method: range.method, currencies, phone } };
}

/** A message that says what was wrong with the number and which markets are supported. */
export function describeNumberingProblem(result: Extract<NumberingResult, { ok: false }>): string {
  switch (result.problem) {
    case 'unknown_country':
      return `no mobile-money market for this country code; ${SUPPORTED_MARKETS_TEXT}`;
    case 'wrong_length':
      return `${result.country!.country_name} mobile numbers have ${result.country!.nsn_length} digits after ${result.country!.calling_code}; ${SUPPORTED_MARKETS_TEXT}`;
    case 'unknown_prefix':
      return `no mobile-money operator serves this ${result.country!.country_name} prefix; ${SUPPORTED_MARKETS_TEXT}`;
  }
}
