/** Use cases for hosted links: the pay link of a published source and the receipt link of a paid one. */
import { invalid, notFound } from '../domain/errors.js';
import { SOURCE_KINDS } from '../domain/sources.js';
import { findSourceByNumber } from '../store/sources.js';
import type { Ctx } from './context.js';
import { requireSupportedType } from './sources.js';

export type LinkKind = 'pay' | 'receipt';

/** Which statuses each link serves: a pay link once published (and not canceled), a receipt link once paid. */
const LINK_STATUSES: Record<LinkKind, readonly string[]> = {
  pay: ['ACTIVE', 'PROCESSING', 'PAID'],
  receipt: ['PAID'],
};

function refusal(link: LinkKind, status: string): string {
  if (link === 'receipt') return 'its receipt link exists once it is PAID';
  if (status === 'IDLE') return 'publish it first';
  return 'a canceled source cannot be paid; create a new one';
}

/**
 * GET /v1/links/pay and /v1/links/receipt: `{url}` on this server's hosted pages,
 * `${base_url}/pay/{hosted_token}` or `${base_url}/receipt/{hosted_token}`.
 */
export async function sourceLink(ctx: Ctx, merchant_id: number, link: LinkKind, source_type: string, source_number: string, base_url: string) {
  const type = requireSupportedType(source_type, ['query', 'source_type']);
  const kind = SOURCE_KINDS[type];
  const source = await findSourceByNumber(ctx.database.db, merchant_id, type, source_number);
  if (!source) throw notFound();
  if (!LINK_STATUSES[link].includes(source.status)) {
    throw invalid(['query', 'source_number'], `${kind.noun} ${source.number} is ${source.status}; ${refusal(link, source.status)}`, 'value_error.state');
  }
  if (!source.hosted_token) throw new Error(`assertion: published source ${source.id} has no hosted token`);
  return { url: `${base_url}/${link}/${source.hosted_token}` };
}
