/**
 * Interim pricer for the money core while the fee/FX service lands: no fees, FX at the latest
 * stored rate (direct or inverted) without markup. Replaced by services/pricing.ts `quote()`.
 */
import { sql } from 'drizzle-orm';
import type { FeeBearer, OperationType } from '../domain/enums.js';
import { invalid } from '../domain/errors.js';
import { parseDecimal } from '../domain/money.js';
import { invertRate, NO_FEE, type Price, price, PricingError } from '../domain/pricing.js';
import { type Executor, rows } from '../store/db.js';

export interface PriceRequest {
  merchant_id: number;
  merchant_type: string;
  base_minor: bigint;
  base_currency: string;
  payer_currency: string;
  method: string;
  provider: string;
  operation_type: OperationType;
  fee_bearer: FeeBearer;
  at: Date;
}

export type Pricer = (ex: Executor, req: PriceRequest) => Promise<Price>;

export const interimPricer: Pricer = async (ex, req) => {
  let fx = null;
  if (req.base_currency !== req.payer_currency) {
    const found = await rows<{ base_currency: string; rate: string }>(
      ex,
      sql`select base_currency, rate::text as rate from fx_rates
          where ((base_currency = ${req.base_currency} and quote_currency = ${req.payer_currency})
              or (base_currency = ${req.payer_currency} and quote_currency = ${req.base_currency}))
            and effective_from <= ${req.at}
          order by effective_from desc limit 1`,
    );
    const r = found[0];
    if (!r) throw invalid(['body', 'currency'], `no FX rate from ${req.base_currency} to ${req.payer_currency}`);
    const dec = parseDecimal(r.rate)!;
    fx = { rate: r.base_currency === req.base_currency ? dec : invertRate(dec), markup_ppm: 0n };
  }
  try {
    return price({ base_minor: req.base_minor, base_currency: req.base_currency, payer_currency: req.payer_currency, fee_bearer: req.fee_bearer, platform: NO_FEE, gateway: NO_FEE, fx });
  } catch (err) {
    if (err instanceof PricingError) throw invalid(['body', 'amount'], `cannot price this amount: ${err.problem}`);
    throw err;
  }
};
