/**
 * The hosted checkout in a real browser (Debian chromium): pay an invoice by MoMo and watch the
 * status update live over the realtime stream, then land on success_url; pay by a card that asks
 * for 3D Secure and complete the challenge; a declined card shows the error and the payer retries.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ManualClock } from '../../src/clock.js';
import { reconcileDue } from '../../src/jobs/reconcile.js';
import { backends } from '../helpers/backends.js';
import { screenshot, startShop, useBrowser } from '../helpers/browser.js';
import { msisdn } from '../helpers/fixtures.js';
import { hostedCheckout } from '../helpers/hosted.js';
import { ok } from '../helpers/objects.js';
import { useServer } from '../helpers/server.js';

const browser = useBrowser();
let shop: Awaited<ReturnType<typeof startShop>>;
before(async () => {
  shop = await startShop();
});
after(async () => {
  await shop?.close();
});

for (const backend of backends()) {
  describe(`hosted checkout in chromium [${backend}]`, () => {
    const h = useServer(backend);

    it('pays by MoMo: carrier detected, FX shown, PROCESSING then COMPLETED live, redirect to success_url', async () => {
      const m = await h.merchant();
      const c = await hostedCheckout(m, { items: [{ name: 'Strategy Session', amount: 59.97 }], success_url: `${shop.base}/success?order=1`, cancel_url: `${shop.base}/cancel` });
      const { context, page } = await browser.newPage();
      const requests: string[] = [];
      page.on('request', (r) => requests.push(new URL(r.url()).pathname));
      try {
        await page.goto(c.url);
        await page.getByText(/Test Merchant/).first().waitFor();
        assert.equal(await page.locator('#total').textContent(), '59.97 USD');
        assert.equal(await page.getByRole('link', { name: /Cancel and return/ }).getAttribute('href'), `${shop.base}/cancel`);

        const phone = msisdn('001');
        await page.getByLabel('Mobile money number').fill(phone);
        assert.equal(await page.getByLabel('Network').inputValue(), 'MTN_MOMO_LBR', 'operator detected as typed');
        await page.getByLabel('Currency').selectOption('LRD');
        const expected = ok(await h.anon.get(`/hosted/${c.token}/quote`, { currency: 'LRD', method: 'MTN_MOMO_LBR' }));
        await page.locator('#quote-amount', { hasText: `${expected.payer_amount} LRD` }).waitFor();
        assert.match((await page.locator('#quote-details').textContent()) ?? '', /1 USD = 189\.75 LRD/);
        await screenshot(page, `${backend}-checkout-momo-form`);

        const streamOpened = page.waitForResponse((r) => r.url().includes('/v1/realtime/collection/'));
        await page.getByRole('button', { name: `Pay ${expected.payer_amount} LRD` }).click();
        await page.getByRole('status').filter({ hasText: /Approve the payment .* on your phone/ }).waitFor();
        await screenshot(page, `${backend}-checkout-momo-processing`);
        // Wait until the page follows the attempt on the realtime stream, then let the carrier approve.
        assert.equal((await streamOpened).status(), 200);
        (h.clock as ManualClock).advance(16_000);
        await reconcileDue(h.server.services);

        await page.getByRole('status').filter({ hasText: /Payment received: .* LRD/ }).waitFor();
        assert.equal(await page.getByRole('link', { name: 'View your receipt' }).evaluate((a: any) => a.href), `${new URL(c.url).origin}/receipt/${c.token}`);
        await screenshot(page, `${backend}-checkout-momo-paid`);
        await page.waitForURL(`${shop.base}/success?order=1`);
        assert.ok(requests.some((p) => p.startsWith('/v1/realtime/collection/')), 'status came over the realtime stream');
        assert.ok(!requests.some((p) => /\/attempts\/[^/]+$/.test(p)), 'no polling was needed');
        assert.equal(ok(await m.api.get('/v1/status/source', { source_type: 'INVOICE', source_id: c.source_id })).status, 'PAID');

        const receipt = await context.newPage();
        await receipt.goto(`${new URL(c.url).origin}/receipt/${c.token}`);
        await receipt.getByRole('heading', { name: 'Receipt' }).waitFor();
        await screenshot(receipt, `${backend}-receipt`);
      } finally {
        await context.close();
      }
    });

    it('falls back to polling when the realtime stream is unavailable, and uses the keyboard only', async () => {
      const m = await h.merchant();
      const c = await hostedCheckout(m, { success_url: `${shop.base}/success?order=poll` });
      const { context, page } = await browser.newPage();
      try {
        await page.route('**/v1/realtime/**', (route) => route.abort());
        await page.goto(c.url);
        await page.getByLabel('Mobile money number').focus();
        await page.keyboard.type(msisdn('001'));
        await page.locator('#quote-amount', { hasText: /USD$/ }).waitFor();
        await page.keyboard.press('Enter');
        await page.getByRole('status').filter({ hasText: /Approve the payment/ }).waitFor();
        await page.waitForResponse((r) => /\/hosted\/[^/]+\/attempts\/[^/]+$/.test(new URL(r.url()).pathname));
        (h.clock as ManualClock).advance(16_000);
        await reconcileDue(h.server.services);
        await page.waitForURL(`${shop.base}/success?order=poll`);
      } finally {
        await context.close();
      }
    });

    it('pays by a card that asks for 3D Secure: the challenge opens, is completed, and the page moves on', async () => {
      const m = await h.merchant();
      const c = await hostedCheckout(m, { success_url: `${shop.base}/success?order=3ds` });
      const { context, page } = await browser.newPage();
      try {
        await page.goto(c.url);
        await page.getByRole('radio', { name: 'Card' }).check();
        await page.getByLabel('Card number').fill('4000 0000 0000 3220');
        await page.locator('#quote-amount', { hasText: /USD$/ }).waitFor();
        await page.getByRole('button', { name: /^Pay .* USD$/ }).click();
        const dialog = page.getByRole('dialog', { name: 'Confirm with your bank' });
        await dialog.waitFor();
        const challenge = page.frameLocator('#challenge-frame');
        await challenge.getByRole('button', { name: 'Complete authentication' }).waitFor();
        await screenshot(page, `${backend}-checkout-3ds-challenge`);
        await challenge.getByRole('button', { name: 'Complete authentication' }).click();
        await page.getByRole('status').filter({ hasText: /Payment received/ }).waitFor();
        assert.equal(await dialog.isVisible(), false, 'the challenge closes');
        await page.waitForURL(`${shop.base}/success?order=3ds`);
        assert.equal(ok(await m.api.get('/v1/status/source', { source_type: 'INVOICE', source_id: c.source_id })).status, 'PAID');
      } finally {
        await context.close();
      }
    });

    it('a declined card shows the error and the payer retries with another card', async () => {
      const m = await h.merchant();
      const c = await hostedCheckout(m, { success_url: null, cancel_url: null });
      const { context, page } = await browser.newPage();
      try {
        await page.goto(c.url);
        await page.getByRole('radio', { name: 'Card' }).check();
        await page.getByLabel('Card number').fill('4000000000000002');
        await page.locator('#quote-amount', { hasText: /USD$/ }).waitFor();
        await page.getByRole('button', { name: /^Pay / }).click();
        const alert = page.getByRole('alert').filter({ hasText: /Your card was declined/ });
        await alert.waitFor();
        await screenshot(page, `${backend}-checkout-card-declined`);
        assert.equal(await page.getByRole('button', { name: /^Pay / }).isEnabled(), true, 'the payer can try again');
        assert.equal(ok(await m.api.get('/v1/status/source', { source_type: 'INVOICE', source_id: c.source_id })).status, 'ACTIVE');

        await page.getByLabel('Card number').fill('4242 4242 4242 4242');
        await page.getByRole('button', { name: /^Pay / }).click();
        await page.getByRole('status').filter({ hasText: /Payment received.*Thank you/ }).waitFor();
        assert.equal(await page.locator('#error').textContent(), '', 'the old error is gone');
        await page.getByRole('link', { name: 'View your receipt' }).waitFor();
        assert.equal(ok(await m.api.get('/v1/status/source', { source_type: 'INVOICE', source_id: c.source_id })).status, 'PAID');
      } finally {
        await context.close();
      }
    });
  });
}
