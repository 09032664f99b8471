/**
 * The fee and FX commands of the admin CLI, run as an operator would (a child process on its own
 * database: the suite's PostgreSQL, or an embedded directory): options reach the use cases, output is JSON, refusals exit 1.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type AdminCli, adminCli } from '../helpers/admin-cli.js';

describe('admin CLI: fees and FX', () => {
  let cli: AdminCli;
  const admin = (...args: string[]) => cli.run(...args);
  before(async () => {
    cli = await adminCli('fees');
  });
  after(() => cli.close());

  it('sets a method-specific tier rate with a fixed fee, schedules an FX rate, and lists both', async () => {
    const rate = await admin('fees:tier:rate:set', '--tier', 'growth', '--operation', 'COLLECTION', '--method', 'CREDIT_CARD', '--percent', '0.8', '--fx-percent', '1.25', '--fixed', '0.10', '--fixed-currency', 'USD', '--from', '2026-02-01T00:00:00Z');
    assert.equal(rate.code, 0, rate.err);
    const r = JSON.parse(rate.out);
    assert.deepEqual([r.tier, r.method, r.percentage, r.fx_percentage, r.fixed_fee, r.fixed_fee_currency, r.effective_from], ['growth', 'CREDIT_CARD', '0.8000', '1.2500', '0.10', 'USD', '2026-02-01T00:00:00.000Z']);

    const fx = await admin('fx:set', '--base', 'USD', '--quote', 'LRD', '--rate', '190.25', '--from', '2099-01-01T00:00:00Z');
    assert.equal(fx.code, 0, fx.err);
    const listed = JSON.parse((await admin('fx:list')).out);
    assert.deepEqual(listed.scheduled.map((s: any) => [s.base, s.quote, s.rate]), [['USD', 'LRD', '190.2500000000']]);
    const fees = JSON.parse((await admin('fees:list')).out);
    assert.ok(fees.platform.some((p: any) => p.tier === 'growth' && p.method === 'CREDIT_CARD' && p.fixed === '0.10 USD'));
  });

  it('refuses inexact or inconsistent input with a message and exit code 1', async () => {
    for (const args of [
      ['fees:gateway:set', '--provider', 'PAWAPAY', '--method', 'MTN_MOMO_LBR', '--operation', 'COLLECTION', '--percent', '2.12345'],
      ['fees:gateway:set', '--provider', 'STRIPE', '--method', 'MTN_MOMO_LBR', '--operation', 'COLLECTION', '--percent', '2'],
      ['fees:gateway:set', '--provider', 'STRIPE', '--method', 'CREDIT_CARD', '--operation', 'COLLECTION', '--percent', '2.9', '--fixed', '300.5', '--fixed-currency', 'RWF'],
      ['fx:set', '--base', 'USD', '--quote', 'LRD', '--rate', '190.12345678901'],
    ]) {
      const res = await admin(...args);
      assert.equal(res.code, 1, args.join(' '));
      assert.match(res.err, /^error: /, args.join(' '));
    }
  });
});
