/** Which databases the suite runs against: both by default (scripts/test.mjs starts PostgreSQL). */
export type Backend = 'pglite' | 'postgres';

export function backends(): Backend[] {
  const wanted = (process.env.DOLLR_TEST_BACKENDS ?? 'pglite,postgres').split(',').map((s) => s.trim());
  const out: Backend[] = [];
  if (wanted.includes('pglite')) out.push('pglite');
  if (wanted.includes('postgres')) {
    if (!process.env.DOLLR_TEST_PG_URL) throw new Error('DOLLR_TEST_PG_URL is not set: run the suite with `npm test`, which starts PostgreSQL');
    out.push('postgres');
  }
  return out;
}
