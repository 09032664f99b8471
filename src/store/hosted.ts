/** Queries for the payer-facing hosted pages: a source is found by its unguessable hosted token alone. */
import { eq } from 'drizzle-orm';
import type { Executor } from './db.js';
import { paymentSources } from './schema.js';
import type { SourceRow } from './sources.js';

export async function findSourceByHostedToken(ex: Executor, hosted_token: string): Promise<SourceRow | undefined> {
  const [row] = await ex.select().from(paymentSources).where(eq(paymentSources.hosted_token, hosted_token));
  return row;
}
