/** The operator area's pages: merchants (create, verify, add a portal user), fees and tiers, FX rates. */
import { OPERATION_TYPES, PAYMENT_METHODS } from '../domain/enums.js';
import type { listFees, listFx } from '../services/fee-admin.js';
import type { MerchantRow } from '../store/merchants.js';
import { html, type SafeHtml } from './html.js';
import { alertBox, areaPage, badge, csrfField, noticeBox, type Viewer, when } from './portal-pages.js';

type Fees = Awaited<ReturnType<typeof listFees>>;
type Fx = Awaited<ReturnType<typeof listFx>>;

export interface Feedback {
  notice?: string | null;
  error?: string | readonly string[] | null;
  /** Which form the error belongs to, so it shows beside that form. */
  form?: string;
}

function feedbackFor(form: string, f: Feedback): SafeHtml {
  return html`${f.form === form ? alertBox(f.error ?? null) : ''}`;
}

function input(name: string, label: string, attrs: { placeholder?: string; required?: boolean; type?: string; value?: string } = {}): SafeHtml {
  return html`<div><label for="${name}">${label}</label><input id="${name}" name="${name}" type="${attrs.type ?? 'text'}"${attrs.required ? html` required` : ''} placeholder="${attrs.placeholder ?? ''}" value="${attrs.value ?? ''}" maxlength="254"></div>`;
}

function options(name: string, label: string, values: readonly string[], opts: { any?: string } = {}): SafeHtml {
  return html`<div><label for="${name}">${label}</label><select id="${name}" name="${name}">${opts.any !== undefined ? html`<option value="">${opts.any}</option>` : ''}${values.map(
    (v) => html`<option value="${v}">${v}</option>`,
  )}</select></div>`;
}

export function merchantsPage(v: Viewer, merchants: readonly MerchantRow[], f: Feedback = {}): string {
  return areaPage(
    v,
    'admin',
    '/admin',
    'Merchants',
    html`<h1>Merchants</h1>
${noticeBox(f.notice)}
<div class="scroll"><table id="merchants">
<thead><tr><th scope="col">Id</th><th scope="col">Name</th><th scope="col">Type</th><th scope="col">Contact</th><th scope="col">Verification</th><th scope="col">Change</th></tr></thead>
<tbody>${merchants.map(
      (m) => html`<tr><td>${m.id}</td><td>${m.name}${m.is_sandbox ? html` <span class="badge">sandbox</span>` : ''}</td><td>${m.type}</td><td>${m.email}<br>${m.phone}</td><td>${badge(m.verification_status)}</td>
<td><form method="post" action="/admin/merchants/${m.id}/verification" class="inline">${csrfField(v.csrf)}
${
  m.verification_status === 'VERIFIED'
    ? html`<input type="hidden" name="status" value="PENDING"><button type="submit" class="secondary" aria-label="Unverify ${m.name}">Unverify</button>`
    : html`<input type="hidden" name="status" value="VERIFIED"><button type="submit" aria-label="Verify ${m.name}">Verify</button>`
}</form></td></tr>`,
    )}</tbody></table></div>

<h2>Create a merchant</h2>
<form method="post" action="/admin/merchants" class="card inline" id="create-merchant">${csrfField(v.csrf)}
${input('name', 'Name', { required: true })}
${options('type', 'Type', ['ORGANIZATION', 'MICRO_ORGANIZATION'])}
${input('email', 'Email', { required: true, type: 'email' })}
${input('phone', 'Phone', { required: true, placeholder: '231770000001' })}
<button type="submit">Create merchant</button></form>
${feedbackFor('create-merchant', f)}

<h2>Add a portal user to a merchant</h2>
<form method="post" action="/admin/users" class="card inline" id="create-user">${csrfField(v.csrf)}
${input('merchant_id', 'Merchant id', { required: true })}
${input('user_email', 'Email', { required: true, type: 'email' })}
${input('user_password', 'Initial password', { required: true, type: 'password' })}
<button type="submit">Add user</button></form>
${feedbackFor('create-user', f)}`,
  );
}

export function feesPage(v: Viewer, fees: Fees, f: Feedback = {}): string {
  return areaPage(
    v,
    'admin',
    '/admin/fees',
    'Fees',
    html`<h1>Fees</h1>
<p class="muted">Rates in force at ${when(fees.at)}. A change takes effect now: the row in force is closed and the new one opens, in one transaction.</p>
${noticeBox(f.notice)}
<h2>Gateway fees</h2>
<div class="scroll"><table id="gateway-fees"><thead><tr><th scope="col">Provider</th><th scope="col">Method</th><th scope="col">Operation</th><th scope="col" class="num">%</th><th scope="col" class="num">Fixed</th><th scope="col">Since</th></tr></thead>
<tbody>${fees.gateway.map((g) => html`<tr><td>${g.provider}</td><td>${g.method}</td><td>${g.operation}</td><td class="num">${g.percentage}</td><td class="num">${g.fixed ?? '—'}</td><td>${when(g.effective_from)}</td></tr>`)}</tbody></table></div>
<form method="post" action="/admin/fees/gateway" class="card inline" id="set-gateway-fee">${csrfField(v.csrf)}
${options('provider', 'Provider', ['PAWAPAY', 'STRIPE', 'PLATFORM'])}
${options('method', 'Method', PAYMENT_METHODS)}
${options('operation', 'Operation', OPERATION_TYPES)}
${input('percent', 'Percent', { required: true, placeholder: '2.9' })}
${input('fixed', 'Fixed fee', { placeholder: '0.30' })}
${input('fixed_currency', 'Fixed fee currency', { placeholder: 'USD' })}
<button type="submit">Set gateway fee</button></form>
${feedbackFor('set-gateway-fee', f)}

<h2>Fee tiers</h2>
<p>${fees.tiers.map((t) => html`<span class="badge">${t.name}${t.is_default ? ' (default)' : ''}</span> `)}</p>
<div class="scroll"><table id="tier-rates"><thead><tr><th scope="col">Tier</th><th scope="col">Operation</th><th scope="col">Method</th><th scope="col" class="num">%</th><th scope="col" class="num">FX %</th><th scope="col" class="num">Fixed</th><th scope="col">Since</th></tr></thead>
<tbody>${fees.platform.map((r) => html`<tr><td>${r.tier}</td><td>${r.operation}</td><td>${r.method}</td><td class="num">${r.percentage}</td><td class="num">${r.fx_percentage}</td><td class="num">${r.fixed ?? '—'}</td><td>${when(r.effective_from)}</td></tr>`)}</tbody></table></div>
<form method="post" action="/admin/fees/tier-rate" class="card inline" id="set-tier-rate">${csrfField(v.csrf)}
${options('tier', 'Tier', fees.tiers.map((t) => t.name))}
${options('operation', 'Operation', OPERATION_TYPES)}
${options('method', 'Method', PAYMENT_METHODS, { any: 'Any method' })}
${input('percent', 'Percent', { required: true, placeholder: '1.5' })}
${input('fx_percent', 'FX percent', { required: true, placeholder: '2.0' })}
<button type="submit">Set tier rate</button></form>
${feedbackFor('set-tier-rate', f)}
<div class="grid">
<form method="post" action="/admin/fees/tiers" class="card" id="create-tier">${csrfField(v.csrf)}<h2>New tier</h2>
${input('name', 'Tier name', { required: true, placeholder: 'enterprise' })}<button type="submit" class="block">Create tier</button>${feedbackFor('create-tier', f)}</form>
<form method="post" action="/admin/fees/assign" class="card" id="assign-tier">${csrfField(v.csrf)}<h2>Assign a tier</h2>
${input('merchant_id', 'Merchant id', { required: true })}${options('tier', 'Tier', fees.tiers.map((t) => t.name))}<button type="submit" class="block">Assign</button>${feedbackFor('assign-tier', f)}</form>
</div>`,
  );
}

export function fxPage(v: Viewer, fx: Fx, f: Feedback = {}): string {
  return areaPage(
    v,
    'admin',
    '/admin/fx',
    'FX rates',
    html`<h1>FX rates</h1>
<p class="muted">Mid rates in force at ${when(fx.at)}: 1 base = rate × quote. A new rate applies from now; earlier ones stay for history.</p>
${noticeBox(f.notice)}
<div class="scroll"><table id="fx-rates"><thead><tr><th scope="col">Base</th><th scope="col">Quote</th><th scope="col" class="num">Rate</th><th scope="col">Since</th><th scope="col">By</th></tr></thead>
<tbody>${fx.current.map((r) => html`<tr><td>${r.base}</td><td>${r.quote}</td><td class="num">${r.rate}</td><td>${when(r.effective_from)}</td><td>${r.created_by}</td></tr>`)}</tbody></table></div>
<form method="post" action="/admin/fx" class="card inline" id="set-fx">${csrfField(v.csrf)}
${options('base', 'Base', ['USD', 'LRD', 'RWF', 'NGN'])}
${options('quote', 'Quote', ['LRD', 'USD', 'RWF', 'NGN'])}
${input('rate', 'Rate', { required: true, placeholder: '190.25' })}
<button type="submit">Set rate</button></form>
${feedbackFor('set-fx', f)}`,
  );
}
