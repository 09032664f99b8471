/**
 * The payer's pages: the hosted checkout (also the pay link's page), its receipt, and the small page
 * the 3D Secure challenge returns to inside its frame. Server-rendered and fully escaped; the
 * behaviour lives in /assets/checkout.js, which reads the summary from a JSON data island.
 */
import type { View } from '../domain/sources.js';
import type { HostedSummary } from '../services/hosted.js';
import { html, jsonIsland, type SafeHtml } from './html.js';
import { page } from './layout.js';

function itemsTable(s: Pick<HostedSummary, 'items' | 'total_amount' | 'currency'>): SafeHtml {
  return html`<div class="scroll"><table>
<thead><tr><th scope="col">Item</th><th scope="col" class="num">Qty</th><th scope="col" class="num">Amount</th></tr></thead>
<tbody>${s.items.map((i) => html`<tr><td>${i.name}</td><td class="num">${i.qty}</td><td class="num">${i.line_total} ${s.currency}</td></tr>`)}</tbody>
<tfoot><tr><td colspan="2">Total</td><td class="num" id="total">${s.total_amount} ${s.currency}</td></tr></tfoot>
</table></div>`;
}

function header(s: HostedSummary): SafeHtml {
  const noun = s.noun === 'invoice' ? 'Invoice' : 'Order';
  return html`<div class="card">
<p class="muted">${noun} ${s.number}${s.expires_at && s.state === 'payable' ? html` · pay by <time datetime="${s.expires_at.toISOString()}">${s.expires_at.toISOString().replace('T', ' ').slice(0, 16)} UTC</time>` : ''}</p>
${itemsTable(s)}
</div>`;
}

/** The payment form: mobile money (operator detected from the number, editable) or a sandbox card. */
function payForm(s: HostedSummary): SafeHtml {
  const networks = s.options.momo.flatMap((m) =>
    [...new Map(m.ranges.map((r) => [r.method, r])).values()].map((r) => ({ value: r.method, label: `${r.carrier} Mobile Money (${m.country_name})` })),
  );
  return html`<form id="pay-form" class="card" novalidate hidden>
<fieldset><legend>Pay with</legend>
<div class="choice" role="radiogroup">
<label><input type="radio" name="kind" value="momo" checked> Mobile money</label>
<label><input type="radio" name="kind" value="card"> Card</label>
</div></fieldset>

<div id="momo-fields">
<label for="phone">Mobile money number</label>
<input id="phone" name="phone" inputmode="tel" autocomplete="tel" placeholder="231881234567" aria-describedby="phone-hint" maxlength="20">
<p class="hint" id="phone-hint">Country code and number, digits only (Liberia 231…, Rwanda 250…).</p>
<label for="network">Network</label>
<select id="network" name="network" aria-describedby="network-hint">
<option value="">Detected from your number</option>
${networks.map((n) => html`<option value="${n.value}">${n.label}</option>`)}
</select>
<p class="hint" id="network-hint">We pick it from the number; change it if your number moved network.</p>
</div>

<div id="card-fields" hidden>
<label for="card">Card number</label>
<input id="card" name="card" autocomplete="off" inputmode="text" placeholder="4242 4242 4242 4242" aria-describedby="card-hint" maxlength="64">
<p class="hint" id="card-hint">Sandbox: a test card number or id such as <code>4242 4242 4242 4242</code> or <code>pm_card_threeDSecure2Required</code>. Cards pay in USD.</p>
</div>

<label for="currency">Currency</label>
<select id="currency" name="currency"></select>

<div class="quote" id="quote" aria-live="polite">Enter your number to see the amount.</div>
<div class="alert" id="error" role="alert"></div>
<button type="submit" class="block" id="pay-button">Pay</button>
</form>`;
}

export function checkoutPage(s: HostedSummary, script_url: string): string {
  const body = html`
<h1>Pay ${s.merchant_name}</h1>
${header(s)}
<noscript><p class="notice">This payment page needs JavaScript to pay. Turn it on and reload the page.</p></noscript>
<p class="notice" id="state-message" ${s.message ? '' : 'hidden'}>${s.message ?? ''}</p>
${s.state === 'payable' || s.state === 'processing' ? payForm(s) : ''}
<div class="status" id="status" role="status" aria-live="polite"></div>
<p id="receipt" ${s.receipt_url ? '' : 'hidden'}><a id="receipt-link" href="${s.receipt_url ?? '#'}">View your receipt</a></p>
${s.cancel_url && s.state !== 'paid' ? html`<p><a id="cancel-link" href="${s.cancel_url}">Cancel and return to ${s.merchant_name}</a></p>` : ''}
<dialog id="challenge" aria-labelledby="challenge-title">
<header><h2 id="challenge-title">Confirm with your bank</h2><button type="button" class="secondary" id="challenge-close">Close</button></header>
<iframe id="challenge-frame" title="3D Secure authentication"></iframe>
</dialog>
${jsonIsland('checkout-data', s)}`;
  return page({ title: `Pay ${s.merchant_name} — ${s.number}`, body, scripts: [script_url] });
}

function money(amount: unknown, currency: unknown): string {
  return `${String(amount)} ${String(currency)}`;
}

export function receiptPage(r: { receipt: View; merchant_name: string; noun: string }): string {
  const x = r.receipt as Record<string, any>;
  const number = x.invoice_number ?? x.order_number;
  const items = (x.items as { name: string; qty: number; amount: number; currency: string }[]) ?? [];
  const rows: [string, string | null][] = [
    ['Paid', money(x.payer_amount, x.payer_currency)],
    [`${r.noun === 'invoice' ? 'Invoice' : 'Order'} total`, money(x.total_amount, x.currency)],
    ['Exchange rate', x.fx_rate ? `1 ${x.fx_currency_from} = ${x.fx_rate} ${x.fx_currency_to}` : null],
    ['Paid on', x.paid_at ? new Date(x.paid_at).toISOString().replace('T', ' ').slice(0, 19) + ' UTC' : null],
    ['Method', x.payment_method ?? null],
    ['Transaction', x.provider_transaction_id ?? null],
    ['Payer', x.counterparty_name ?? null],
  ];
  const body = html`
<h1>Receipt</h1>
<div class="card">
<p class="merchant">${r.merchant_name}</p>
<p class="muted">${r.noun === 'invoice' ? 'Invoice' : 'Order'} ${number} · <span class="badge PAID">PAID</span></p>
<div class="scroll"><table>
<thead><tr><th scope="col">Item</th><th scope="col" class="num">Qty</th><th scope="col" class="num">Unit</th></tr></thead>
<tbody>${items.map((i) => html`<tr><td>${i.name}</td><td class="num">${i.qty}</td><td class="num">${money(i.amount, i.currency)}</td></tr>`)}</tbody>
</table></div>
</div>
<div class="card"><table><tbody>
${rows.filter(([, v]) => v !== null).map(([k, v]) => html`<tr><th scope="row">${k}</th><td class="num">${v}</td></tr>`)}
</tbody></table></div>`;
  return page({ title: `Receipt — ${r.merchant_name} ${number}`, body });
}

export function messagePage(title: string, message: string): string {
  return page({ title, body: html`<h1>${title}</h1><p class="notice">${message}</p>` });
}

/** Where the 3D Secure frame lands when the challenge is done; the checkout page watches for it. */
export function challengeReturnPage(): string {
  return page({ title: 'Authentication finished', body: html`<p class="notice" id="challenge-done">Authentication finished. Returning to the checkout…</p>` });
}
