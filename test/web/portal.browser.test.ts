/**
 * The merchant portal and the operator area in a real browser (Debian chromium): a merchant signs
 * in, creates an API key and uses it against the API over HTTP, then revokes it; an operator
 * changes an FX rate and the next quote uses it.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { createPortalUser } from '../../src/services/portal-auth.js';
import { backends } from '../helpers/backends.js';
import { screenshot, useBrowser } from '../helpers/browser.js';
import { completedCollection } from '../helpers/fixtures.js';
import { hostedCheckout } from '../helpers/hosted.js';
import { ok } from '../helpers/objects.js';
import { type Harness, useServer } from '../helpers/server.js';

const browser = useBrowser();
const PASSWORD = 'a long sandbox password';
const DESKTOP = { viewport: { width: 1280, height: 800 } };

async function user(h: Harness, merchant_id: number | null): Promise<string> {
  const email = `${merchant_id === null ? 'operator' : 'owner'}-${randomBytes(3).toString('hex')}@example.test`;
  await createPortalUser(h.server.services.ctx, merchant_id === null ? { role: 'operator', email, password: PASSWORD } : { role: 'owner', merchant_id, email, password: PASSWORD });
  return email;
}

for (const backend of backends()) {
  describe(`portal in chromium [${backend}]`, () => {
    const h = useServer(backend);

    it('a merchant signs in, creates an API key, obtains a token with it over HTTP, and revokes it', async () => {
      const m = await h.merchant();
      const paid = await completedCollection(m);
      const email = await user(h, m.merchant_id);
      const { context, page } = await browser.newPage(DESKTOP);
      try {
        await page.goto(`${h.baseUrl}/portal/keys`);
        await page.waitForURL(/\/portal\/login\?next=/);
        await page.getByLabel('Email').fill(email);
        await page.getByLabel('Password').fill(PASSWORD);
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.waitForURL(`${h.baseUrl}/portal/keys`);
        const cookie = (await context.cookies()).find((c) => c.name === 'dollr_session')!;
        assert.equal(cookie.httpOnly, true);
        assert.equal(cookie.sameSite, 'Lax');

        await page.getByLabel('Label').fill('ci server');
        await page.getByRole('button', { name: 'Create API key' }).click();
        await page.getByRole('heading', { name: 'New API key' }).waitFor();
        const client_id = (await page.locator('#new-client-id').textContent())!.trim();
        const client_secret = (await page.locator('#new-client-secret').textContent())!.trim();
        await screenshot(page, `${backend}-portal-api-key-created`);
        const token = ok(await h.anon.post('/v1/jwt/client/obtain/token', { client_id, client_secret }));
        const wallets = await fetch(`${h.baseUrl}/v1/wallets`, { headers: { authorization: `Bearer ${token.access_token}` } });
        assert.equal(wallets.status, 200, 'the new key works against the API');

        await page.goto(`${h.baseUrl}/portal/keys`);
        assert.equal(await page.locator('#new-client-secret').count(), 0, 'the secret is shown once');
        await page.getByRole('button', { name: `Revoke ${client_id}` }).click();
        await page.getByRole('status').filter({ hasText: 'API key revoked' }).waitFor();
        assert.equal((await h.anon.post('/v1/jwt/client/obtain/token', { client_id, client_secret })).status, 401);

        await page.getByRole('link', { name: 'Executions' }).click();
        await page.getByRole('link', { name: String(paid.payment_intent_id), exact: true }).click();
        await page.getByRole('heading', { name: `Execution ${paid.payment_intent_id}` }).waitFor();
        assert.match((await page.locator('#timeline').textContent()) ?? '', /PENDING[\s\S]*COMPLETED/);
        await screenshot(page, `${backend}-portal-execution-timeline`);
        await page.getByRole('link', { name: 'Overview' }).click();
        await page.locator('#wallets').waitFor();
        await screenshot(page, `${backend}-portal-overview`);
      } finally {
        await context.close();
      }
    });

    it('an operator changes an FX rate and the next quote uses it', async () => {
      const m = await h.merchant();
      const checkout = await hostedCheckout(m, { items: [{ name: 'Item', amount: 100 }] });
      const before = ok(await h.anon.get(`/hosted/${checkout.token}/quote`, { currency: 'LRD', method: 'MTN_MOMO_LBR' }));
      assert.equal(before.fx_rate, '189.75');
      const email = await user(h, null);
      const { context, page } = await browser.newPage(DESKTOP);
      try {
        await page.goto(`${h.baseUrl}/admin/fx`);
        await page.getByLabel('Email').fill(email);
        await page.getByLabel('Password').fill(PASSWORD);
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.waitForURL(`${h.baseUrl}/admin/fx`);
        await page.getByLabel('Base').selectOption('USD');
        await page.getByLabel('Quote').selectOption('LRD');
        await page.getByLabel('Rate').fill('190.25');
        await page.getByRole('button', { name: 'Set rate' }).click();
        await page.getByRole('status').filter({ hasText: 'FX rate set.' }).waitFor();
        const row = page.locator('#fx-rates tr', { hasText: `operator:${email}` });
        assert.match((await row.textContent()) ?? '', /USD\s*LRD\s*190\.25/);
        await screenshot(page, `${backend}-admin-fx-rate-set`);
        const after = ok(await h.anon.get(`/hosted/${checkout.token}/quote`, { currency: 'LRD', method: 'MTN_MOMO_LBR' }));
        assert.equal(after.fx_rate, '190.25');
        assert.notEqual(after.payer_amount, before.payer_amount);
      } finally {
        await context.close();
      }
    });
  });
}
