/**
 * The merchant portal's pages (server-rendered, no script): sign-in, dashboard, API keys, payout
 * passcode, wallets and their ledger entries, executions with their timeline, invoices and orders.
 * Every state-changing form carries the session's CSRF token.
 */
import type { View } from '../domain/sources.js';
import { formatMinor } from '../domain/money.js';
import type { MerchantRow } from '../store/merchants.js';
import type { ExecutionRow } from '../store/portal.js';
import type { EntryRow, WalletView } from '../store/wallets.js';
import { html, type SafeHtml } from './html.js';
import { page } from './layout.js';

export interface Viewer {
  email: string;
  role: string;
  csrf: string;
}

export function csrfField(csrf: string): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${csrf}">`;
}

export function when(d: Date | string | null | undefined): string {
  if (!d) return '—';
  return new Date(d).toISOString().replace('T', ' ').slice(0, 19) + ' UTC';
}

export function badge(text: string | null | undefined): SafeHtml {
  return html`<span class="badge ${text ?? ''}">${text ?? '—'}</span>`;
}

export function alertBox(error?: string | readonly string[] | null): SafeHtml | '' {
  if (!error || (Array.isArray(error) && error.length === 0)) return '';
  const list = Array.isArray(error) ? error : [error];
  return html`<div class="alert" role="alert" id="form-error">${list.map((e, i) => html`${i ? html`<br>` : ''}${e}`)}</div>`;
}

export function noticeBox(notice?: string | null): SafeHtml | '' {
  return notice ? html`<p class="status ok" role="status" id="notice">${notice}</p>` : '';
}

function nav(v: Viewer, links: [string, string][], active: string): SafeHtml {
  return html`<nav class="top" aria-label="Main"><ul>
${links.map(([href, label]) => html`<li><a href="${href}"${active === href ? html` aria-current="page"` : ''}>${label}</a></li>`)}
<li class="right muted">${v.email}</li>
<li><form method="post" action="/portal/logout">${csrfField(v.csrf)}<button type="submit" class="secondary">Sign out</button></form></li>
</ul></nav>`;
}

const PORTAL_LINKS: [string, string][] = [
  ['/portal', 'Overview'],
  ['/portal/keys', 'API keys'],
  ['/portal/wallets', 'Wallets'],
  ['/portal/executions', 'Executions'],
  ['/portal/invoices', 'Invoices'],
  ['/portal/orders', 'Orders'],
  ['/portal/webhooks', 'Webhooks'],
  ['/portal/passcode', 'Payout passcode'],
];

export const ADMIN_LINKS: [string, string][] = [
  ['/admin', 'Merchants'],
  ['/admin/fees', 'Fees'],
  ['/admin/fx', 'FX rates'],
];

export function areaPage(v: Viewer, area: 'portal' | 'admin', active: string, title: string, body: SafeHtml): string {
  return page({ title: `${title} — ${area === 'portal' ? 'Merchant portal' : 'Operator'}`, nav: nav(v, area === 'portal' ? PORTAL_LINKS : ADMIN_LINKS, active), body, wide: true });
}

export function signInPage(o: { csrf: string; error?: string | null; email?: string; next?: string; notice?: string | null }): string {
  return page({
    title: 'Sign in',
    body: html`<h1>Sign in</h1>
<form method="post" action="/portal/login" class="card" id="sign-in">
${csrfField(o.csrf)}
${o.next ? html`<input type="hidden" name="next" value="${o.next}">` : ''}
<label for="email">Email</label>
<input id="email" name="email" type="email" autocomplete="username" required maxlength="254" value="${o.email ?? ''}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required maxlength="200">
${alertBox(o.error)}
${noticeBox(o.notice)}
<button type="submit" class="block">Sign in</button>
</form>
<p class="muted">Merchants see their own account; operators manage merchants, fees and FX rates.</p>`,
  });
}

export function errorPage(title: string, message: string, back?: string): string {
  return page({ title, body: html`<h1>${title}</h1><p class="notice">${message}</p>${back ? html`<p><a href="${back}">Back</a></p>` : ''}` });
}

function money(minor: bigint, currency: string): string {
  return `${formatMinor(minor, currency)} ${currency}`;
}

function walletsTable(wallets: readonly WalletView[]): SafeHtml {
  return html`<div class="scroll"><table id="wallets">
<thead><tr><th scope="col">Wallet</th><th scope="col">Status</th><th scope="col" class="num">Available</th><th scope="col" class="num">Pending</th><th scope="col"><span class="skip">Entries</span></th></tr></thead>
<tbody>${wallets.map(
    (w) => html`<tr><td>${w.currency}</td><td>${badge(w.status)}</td><td class="num">${money(w.available_minor, w.currency)}</td><td class="num">${money(w.pending_minor, w.currency)}</td><td><a href="/portal/wallets/${w.id}">Entries</a></td></tr>`,
  )}</tbody></table></div>`;
}

export function dashboardPage(v: Viewer, merchant: MerchantRow, wallets: readonly WalletView[]): string {
  const verification: Record<string, string> = {
    VERIFIED: 'Verified: payouts, refunds, transfers and hosted checkout are open.',
    PENDING: 'Verification pending: collections work; payouts, refunds, transfers and hosted checkout open once an operator verifies the account.',
    REJECTED: 'Verification rejected: contact the operator.',
  };
  return areaPage(
    v,
    'portal',
    '/portal',
    'Overview',
    html`<h1>${merchant.name}</h1>
<div class="grid">
<div class="card"><h2>Account</h2><p>Merchant ${merchant.id} · ${merchant.type}</p><p>Verification ${badge(merchant.verification_status)}</p><p class="muted" id="verification">${verification[merchant.verification_status] ?? ''}</p></div>
<div class="card"><h2>Contact</h2><p>${merchant.email}<br>${merchant.phone}</p><p class="muted">Payout passcode: ${merchant.passcode_hash ? 'set' : 'not set'}${merchant.passcode_phone ? html`, bound to ${merchant.passcode_phone}` : ''}</p></div>
</div>
<h2>Balances</h2>
${walletsTable(wallets)}`,
  );
}

export interface KeyRow {
  client_id: string;
  label: string;
  created_at: Date;
  revoked_at: Date | null;
}

export function keysPage(v: Viewer, keys: readonly KeyRow[], o: { issued?: { client_id: string; client_secret: string }; notice?: string | null; error?: string | null } = {}): string {
  return areaPage(
    v,
    'portal',
    '/portal/keys',
    'API keys',
    html`<h1>API keys</h1>
${
  o.issued
    ? html`<div class="card" id="new-key" role="status"><h2>New API key</h2>
<p><strong>Copy the secret now: it is shown only this once.</strong> We keep only its hash.</p>
<p>client_id</p><p class="secret" id="new-client-id">${o.issued.client_id}</p>
<p>client_secret</p><p class="secret" id="new-client-secret">${o.issued.client_secret}</p>
<p class="muted">Obtain a token: <code>POST /v1/jwt/client/obtain/token</code> with <code>{"client_id", "client_secret"}</code>.</p></div>`
    : ''
}
${noticeBox(o.notice)}${alertBox(o.error)}
<form method="post" action="/portal/keys" class="card inline">${csrfField(v.csrf)}
<div><label for="label">Label</label><input id="label" name="label" maxlength="100" placeholder="e.g. production server"></div>
<button type="submit">Create API key</button></form>
<div class="scroll"><table id="keys">
<thead><tr><th scope="col">client_id</th><th scope="col">Label</th><th scope="col">Created</th><th scope="col">Status</th><th scope="col"><span class="skip">Action</span></th></tr></thead>
<tbody>${keys.map(
      (k) => html`<tr><td><code>${k.client_id}</code></td><td>${k.label}</td><td>${when(k.created_at)}</td><td>${k.revoked_at ? html`${badge('revoked')} ${when(k.revoked_at)}` : badge('ACTIVE')}</td>
<td>${k.revoked_at ? '' : html`<form method="post" action="/portal/keys/${encodeURIComponent(k.client_id)}/revoke">${csrfField(v.csrf)}<button type="submit" class="danger" aria-label="Revoke ${k.client_id}">Revoke</button></form>`}</td></tr>`,
    )}</tbody></table></div>`,
  );
}

export function passcodePage(v: Viewer, merchant: MerchantRow, o: { notice?: string | null; error?: string | readonly string[] | null; phone?: string } = {}): string {
  return areaPage(
    v,
    'portal',
    '/portal/passcode',
    'Payout passcode',
    html`<h1>Payout passcode</h1>
<p class="muted">Payouts through the API need this passcode and the phone it is bound to. It is currently ${merchant.passcode_hash ? html`<strong>set</strong>, bound to ${merchant.passcode_phone}` : html`<strong>not set</strong>`}.</p>
${noticeBox(o.notice)}${alertBox(o.error)}
<form method="post" action="/portal/passcode" class="card" autocomplete="off">${csrfField(v.csrf)}
<label for="code">New passcode</label><input id="code" name="code" inputmode="numeric" pattern="[0-9]{4,8}" maxlength="8" required aria-describedby="code-hint" type="password" autocomplete="new-password">
<p class="hint" id="code-hint">4 to 8 digits.</p>
<label for="phone">Phone it is bound to</label><input id="phone" name="phone" inputmode="tel" maxlength="15" required value="${o.phone ?? merchant.passcode_phone ?? merchant.phone}" aria-describedby="phone-hint">
<p class="hint" id="phone-hint">E.164 digits without +, e.g. 231770000001.</p>
<label for="current_password">Your portal password</label><input id="current_password" name="current_password" type="password" autocomplete="current-password" required maxlength="200">
<button type="submit" class="block">Save passcode</button></form>`,
  );
}

export function walletsPage(v: Viewer, wallets: readonly WalletView[]): string {
  return areaPage(v, 'portal', '/portal/wallets', 'Wallets', html`<h1>Wallets</h1>${walletsTable(wallets)}`);
}

export function walletEntriesPage(v: Viewer, wallet: WalletView, entries: readonly EntryRow[], next: string | null): string {
  return areaPage(
    v,
    'portal',
    '/portal/wallets',
    `${wallet.currency} wallet`,
    html`<h1>${wallet.currency} wallet</h1>
<p>Available <strong>${money(wallet.available_minor, wallet.currency)}</strong> · pending ${money(wallet.pending_minor, wallet.currency)} · ${badge(wallet.status)}</p>
<div class="scroll"><table id="entries">
<thead><tr><th scope="col">When</th><th scope="col">Balance</th><th scope="col">What</th><th scope="col">Reference</th><th scope="col" class="num">Change</th><th scope="col" class="num">Balance after</th></tr></thead>
<tbody>${entries.map(
      (e) => html`<tr><td>${when(e.created_at)}</td><td>${e.balance}</td><td>${e.kind}<br><span class="muted">${e.description}</span></td><td>${e.reference_id ? html`<code>${e.reference_id}</code>` : '—'}</td>
<td class="num">${money(e.amount_minor, wallet.currency)}</td><td class="num">${money(e.balance_after_minor, wallet.currency)}</td></tr>`,
    )}</tbody></table></div>
${entries.length === 0 ? html`<p class="muted">No entries yet.</p>` : ''}
${next ? html`<p><a href="/portal/wallets/${wallet.id}?starting_after=${next}" rel="next">Older entries</a></p>` : ''}`,
  );
}

const STATUS_OPTIONS = ['', 'PENDING', 'PROCESSING', 'COMPLETED', 'FAILED'];
const OPERATION_OPTIONS = ['', 'COLLECTION', 'PAYOUT', 'TRANSFER', 'REFUND'];

function select(name: string, label: string, options: readonly string[], value: string | undefined): SafeHtml {
  return html`<div><label for="${name}">${label}</label><select id="${name}" name="${name}">${options.map(
    (o) => html`<option value="${o}"${o === (value ?? '') ? html` selected` : ''}>${o || 'Any'}</option>`,
  )}</select></div>`;
}

export function executionsPage(
  v: Viewer,
  q: { status?: string | undefined; operation?: string | undefined; from?: string | undefined; to?: string | undefined },
  items: readonly ExecutionRow[],
  next_query: string | null,
  error?: readonly string[] | null,
): string {
  return areaPage(
    v,
    'portal',
    '/portal/executions',
    'Executions',
    html`<h1>Executions</h1>
<form method="get" action="/portal/executions" class="card inline" aria-label="Filter executions">
${select('status', 'Status', STATUS_OPTIONS, q.status)}
${select('operation', 'Operation', OPERATION_OPTIONS, q.operation)}
<div><label for="from">From (UTC day)</label><input id="from" name="from" type="date" value="${q.from ?? ''}"></div>
<div><label for="to">To (UTC day)</label><input id="to" name="to" type="date" value="${q.to ?? ''}"></div>
<button type="submit">Filter</button></form>
${alertBox(error ?? null)}
<div class="scroll"><table id="executions">
<thead><tr><th scope="col">Id</th><th scope="col">Created</th><th scope="col">Operation</th><th scope="col">Status</th><th scope="col" class="num">Payer amount</th><th scope="col">Method</th><th scope="col">Reference</th></tr></thead>
<tbody>${items.map(
      (x) => html`<tr><td><a href="/portal/executions/${x.id}">${x.id}</a></td><td>${when(x.created_at)}</td><td>${x.operation_type}</td><td>${badge(x.status)}</td>
<td class="num">${money(x.payer_amount_minor, x.payer_currency)}</td><td>${x.method ?? '—'}</td><td><code>${x.reference_id}</code></td></tr>`,
    )}</tbody></table></div>
${items.length === 0 ? html`<p class="muted">No executions match.</p>` : ''}
${next_query ? html`<p><a href="/portal/executions?${next_query}" rel="next">Older executions</a></p>` : ''}`,
  );
}

export function executionPage(v: Viewer, x: ExecutionRow, events: readonly { id: number; status: string; message: string | null; created_at: Date }[]): string {
  const rows: [string, string | SafeHtml][] = [
    ['Operation', x.operation_type],
    ['Status', badge(x.status)],
    ['Reference', x.reference_id],
    ['Payer amount', money(x.payer_amount_minor, x.payer_currency)],
    ['Payee amount', money(x.payee_amount_minor, x.payee_currency)],
    ['Platform fee', money(x.platform_fee_minor, x.platform_currency)],
    ['Gateway fee', x.gateway_currency ? money(x.gateway_fee_minor, x.gateway_currency) : '—'],
    ['FX', x.fx_rate ? `1 ${x.fx_currency_from} = ${x.fx_rate} ${x.fx_currency_to}` : '—'],
    ['Method', `${x.method ?? '—'} via ${x.provider ?? '—'}`],
    ['Provider transaction', x.provider_transaction_id ?? '—'],
    ['Gateway message', x.gateway_message ?? '—'],
    ['Wallet message', x.wallet_message ?? '—'],
    ['Source', x.source_type ? `${x.source_type} ${x.source_id}` : '—'],
    ['Created', when(x.created_at)],
  ];
  return areaPage(
    v,
    'portal',
    '/portal/executions',
    `Execution ${x.id}`,
    html`<h1>Execution ${x.id}</h1>
<div class="card"><table><tbody>${rows.map(([k, val]) => html`<tr><th scope="row">${k}</th><td>${val}</td></tr>`)}</tbody></table></div>
<h2>Timeline</h2>
<ol id="timeline">${events.map((e) => html`<li>${when(e.created_at)} — ${badge(e.status)} ${e.message ?? ''}</li>`)}</ol>`,
  );
}

export function sourcesPage(v: Viewer, noun: 'invoice' | 'order', items: readonly View[], status: string | undefined, next: number | null): string {
  const path = `/portal/${noun}s`;
  const numberField = noun === 'invoice' ? 'invoice_number' : 'order_number';
  return areaPage(
    v,
    'portal',
    path,
    noun === 'invoice' ? 'Invoices' : 'Orders',
    html`<h1>${noun === 'invoice' ? 'Invoices' : 'Orders'}</h1>
<form method="get" action="${path}" class="card inline" aria-label="Filter">${select('status', 'Status', ['', 'IDLE', 'ACTIVE', 'PROCESSING', 'PAID', 'CANCELED'], status)}<button type="submit">Filter</button></form>
<div class="scroll"><table id="sources">
<thead><tr><th scope="col">Number</th><th scope="col">Status</th><th scope="col" class="num">Total</th><th scope="col">Created</th><th scope="col">Paid</th></tr></thead>
<tbody>${items.map(
      (s) => html`<tr><td><a href="${path}/${s.id as number}">${s[numberField] as string}</a></td><td>${badge(s.status as string)}</td><td class="num">${String(s.total_amount)} ${s.currency as string}</td>
<td>${when(s.created_at as Date)}</td><td>${when(s.paid_at as Date | null)}</td></tr>`,
    )}</tbody></table></div>
${items.length === 0 ? html`<p class="muted">None yet.</p>` : ''}
${next ? html`<p><a href="${path}?${new URLSearchParams({ ...(status ? { status } : {}), starting_after: String(next) }).toString()}" rel="next">More</a></p>` : ''}`,
  );
}

export function sourcePage(v: Viewer, noun: 'invoice' | 'order', s: View, pay_url: string | null): string {
  const number = (noun === 'invoice' ? s.invoice_number : s.order_number) as string;
  const items = (s[`${noun}_items`] as { name: string; qty: number; amount: number; currency: string }[]) ?? [];
  const cp = s.counterparty as { party?: { fullname?: string; phone?: string } | null } | null;
  return areaPage(
    v,
    'portal',
    `/portal/${noun}s`,
    number,
    html`<h1>${noun === 'invoice' ? 'Invoice' : 'Order'} ${number}</h1>
<p>${badge(s.status as string)} · total <strong>${String(s.total_amount)} ${s.currency as string}</strong> · fees borne by ${s.fee_bearer as string}</p>
<p class="muted">Payer: ${cp?.party?.fullname ?? '—'} ${cp?.party?.phone ?? ''}</p>
${pay_url ? html`<p>Pay link: <a href="${pay_url}">${pay_url}</a></p>` : ''}
<div class="scroll"><table><thead><tr><th scope="col">Item</th><th scope="col" class="num">Qty</th><th scope="col" class="num">Unit</th></tr></thead>
<tbody>${items.map((i) => html`<tr><td>${i.name}</td><td class="num">${i.qty}</td><td class="num">${String(i.amount)} ${i.currency}</td></tr>`)}</tbody></table></div>
${s.note ? html`<p class="muted">${s.note as string}</p>` : ''}`,
  );
}

// ---------------------------------------------------------------------------------------------
// Webhooks: endpoints (secret shown once), their deliveries, each delivery's attempts, replay
// ---------------------------------------------------------------------------------------------

export interface EndpointView {
  id: number;
  url: string;
  description: string;
  enabled_events: string[];
  status: string;
  created_at: Date;
}

export function webhooksPage(
  v: Viewer,
  endpoints: readonly EndpointView[],
  event_types: readonly string[],
  o: { created?: EndpointView & { secret: string }; notice?: string | null; error?: readonly string[] | null } = {},
): string {
  return areaPage(
    v,
    'portal',
    '/portal/webhooks',
    'Webhooks',
    html`<h1>Webhooks</h1>
<p class="muted">Signed with <code>Dollr-Signature: t=…,v1=HMAC-SHA256(secret, "t.body")</code>; retried with backoff for 3 days.</p>
${
  o.created
    ? html`<div class="card" id="new-endpoint" role="status"><h2>Endpoint created</h2><p><strong>Copy the signing secret now: it is shown only this once.</strong></p><p class="secret" id="new-endpoint-secret">${o.created.secret}</p></div>`
    : ''
}
${noticeBox(o.notice)}${alertBox(o.error ?? null)}
<div class="scroll"><table id="endpoints">
<thead><tr><th scope="col">URL</th><th scope="col">Events</th><th scope="col">Created</th><th scope="col"><span class="skip">Actions</span></th></tr></thead>
<tbody>${endpoints.map(
      (e) => html`<tr><td><a href="/portal/webhooks/${e.id}">${e.url}</a><br><span class="muted">${e.description}</span></td><td>${e.enabled_events.join(', ')}</td><td>${when(e.created_at)}</td>
<td><form method="post" action="/portal/webhooks/${e.id}/delete">${csrfField(v.csrf)}<button type="submit" class="danger" aria-label="Delete endpoint ${e.url}">Delete</button></form></td></tr>`,
    )}</tbody></table></div>
${endpoints.length === 0 ? html`<p class="muted">No endpoints yet.</p>` : ''}
<h2>Add an endpoint</h2>
<form method="post" action="/portal/webhooks" class="card">${csrfField(v.csrf)}
<label for="url">URL</label><input id="url" name="url" type="url" required maxlength="2048" placeholder="https://example.com/dollr/webhooks">
<label for="description">Description</label><input id="description" name="description" maxlength="500">
<fieldset><legend>Events</legend><div class="choice">
<label><input type="checkbox" name="events" value="*" checked> All</label>
${event_types.map((t) => html`<label><input type="checkbox" name="events" value="${t}"> ${t}</label>`)}
</div></fieldset>
<button type="submit">Add endpoint</button></form>`,
  );
}

export interface DeliveryView {
  id: number;
  event_type: string;
  status: string;
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  last_attempt_at: Date | null;
  next_attempt_at: Date | null;
  created_at: Date;
}

export function webhookEndpointPage(v: Viewer, e: EndpointView, deliveries: readonly DeliveryView[], next: number | null, notice?: string | null): string {
  return areaPage(
    v,
    'portal',
    '/portal/webhooks',
    'Webhook deliveries',
    html`<h1>Deliveries to ${e.url}</h1>
${noticeBox(notice)}
<div class="scroll"><table id="deliveries">
<thead><tr><th scope="col">Id</th><th scope="col">Event</th><th scope="col">Status</th><th scope="col" class="num">Attempts</th><th scope="col">Last answer</th><th scope="col">Next attempt</th><th scope="col"><span class="skip">Replay</span></th></tr></thead>
<tbody>${deliveries.map(
      (d) => html`<tr><td><a href="/portal/webhooks/deliveries/${d.id}">${d.id}</a></td><td>${d.event_type}</td><td>${badge(d.status)}</td><td class="num">${d.attempts}</td>
<td>${d.last_status_code ?? d.last_error ?? '—'}<br><span class="muted">${when(d.last_attempt_at)}</span></td><td>${when(d.next_attempt_at)}</td>
<td><form method="post" action="/portal/webhooks/deliveries/${d.id}/replay">${csrfField(v.csrf)}<button type="submit" class="secondary" aria-label="Replay delivery ${d.id}">Replay</button></form></td></tr>`,
    )}</tbody></table></div>
${deliveries.length === 0 ? html`<p class="muted">Nothing delivered yet.</p>` : ''}
${next ? html`<p><a href="/portal/webhooks/${e.id}?starting_after=${next}" rel="next">More</a></p>` : ''}`,
  );
}

export function deliveryPage(
  v: Viewer,
  delivery_id: number,
  attempts: readonly { attempted_at: Date; status_code: number | null; duration_ms: number; error: string | null; response_excerpt: string | null }[],
  notice?: string | null,
): string {
  return areaPage(
    v,
    'portal',
    '/portal/webhooks',
    `Delivery ${delivery_id}`,
    html`<h1>Delivery ${delivery_id}</h1>
${noticeBox(notice)}
<form method="post" action="/portal/webhooks/deliveries/${delivery_id}/replay">${csrfField(v.csrf)}<button type="submit">Replay now</button></form>
<div class="scroll"><table id="attempts">
<thead><tr><th scope="col">When</th><th scope="col">Answer</th><th scope="col" class="num">Took</th><th scope="col">Response</th></tr></thead>
<tbody>${attempts.map(
      (a) => html`<tr><td>${when(a.attempted_at)}</td><td>${a.status_code ?? a.error ?? '—'}</td><td class="num">${a.duration_ms} ms</td><td><code>${a.response_excerpt ?? ''}</code></td></tr>`,
    )}</tbody></table></div>
${attempts.length === 0 ? html`<p class="muted">No attempt yet.</p>` : ''}`,
  );
}
