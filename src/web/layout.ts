/**
 * The one page shell for the hosted checkout, the merchant portal and the operator area: a small
 * inline stylesheet (fast first paint, no extra request; allowed by its hash in the CSP), no
 * external fonts or CDNs (the pages must work offline), phone-sized first, visible focus.
 */
import { createHash } from 'node:crypto';
import { html, raw, type SafeHtml } from './html.js';

const CSS = `
:root{--fg:#16181d;--muted:#5b6270;--line:#d9dde3;--bg:#f6f7f9;--card:#fff;--accent:#1d4ed8;--accent-fg:#fff;--ok:#0f7b3f;--bad:#b42318;--warn:#8a5a00;--focus:#f59e0b}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
a{color:var(--accent)}
main{max-width:34rem;margin:0 auto;padding:1rem}
main.wide{max-width:72rem}
h1{font-size:1.375rem;margin:.5rem 0 1rem}
h2{font-size:1.125rem;margin:1.5rem 0 .5rem}
.card{background:var(--card);border:1px solid var(--line);border-radius:.75rem;padding:1rem;margin:0 0 1rem}
.muted{color:var(--muted);font-size:.9375rem}
.merchant{font-weight:600;font-size:1.125rem;margin:0}
table{width:100%;border-collapse:collapse}
th,td{text-align:left;padding:.4rem .3rem;border-bottom:1px solid var(--line);vertical-align:top}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tfoot td{font-weight:700;border-bottom:0}
.scroll{overflow-x:auto}
fieldset{border:0;margin:0 0 1rem;padding:0}
legend{font-weight:600;margin-bottom:.25rem}
label{display:block;font-weight:600;margin:.75rem 0 .25rem}
.choice{display:flex;gap:.5rem;flex-wrap:wrap}
.choice label{font-weight:400;margin:0;border:1px solid var(--line);border-radius:.5rem;padding:.5rem .75rem;background:var(--card);cursor:pointer}
.choice input{margin-right:.4rem}
input,select,textarea{font:inherit;width:100%;padding:.6rem .7rem;border:1px solid #9aa3b2;border-radius:.5rem;background:#fff;color:var(--fg)}
.choice input{width:auto}
.hint{color:var(--muted);font-size:.875rem;margin:.25rem 0 0}
button,.button{font:inherit;font-weight:600;display:inline-block;padding:.7rem 1.1rem;border-radius:.5rem;border:1px solid var(--accent);background:var(--accent);color:var(--accent-fg);cursor:pointer;text-decoration:none}
button.secondary,.button.secondary{background:#fff;color:var(--accent)}
button.danger{background:#fff;color:var(--bad);border-color:var(--bad)}
button[disabled]{opacity:.6;cursor:progress}
button.block{width:100%;margin-top:1rem}
a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible,textarea:focus-visible,summary:focus-visible,.choice label:focus-within{outline:3px solid var(--focus);outline-offset:2px}
.quote{margin:1rem 0 0;padding:.75rem;border-radius:.5rem;background:var(--bg)}
.quote strong{font-size:1.25rem}
.status{margin:1rem 0 0;padding:.75rem;border-radius:.5rem;border:1px solid var(--line)}
.status:empty,.alert:empty{display:none}
.status.ok{border-color:var(--ok);color:var(--ok)}
.status.wait{border-color:var(--warn);color:var(--warn)}
.alert{margin:1rem 0 0;padding:.75rem;border-radius:.5rem;border:1px solid var(--bad);color:var(--bad);background:#fff5f5}
.notice{padding:.75rem;border-radius:.5rem;border:1px solid var(--line);background:#fff}
.badge{display:inline-block;padding:.05rem .45rem;border-radius:.4rem;font-size:.8125rem;font-weight:600;background:#eef1f5}
.badge.COMPLETED,.badge.PAID,.badge.VERIFIED,.badge.ACTIVE{background:#e3f5ea;color:var(--ok)}
.badge.FAILED,.badge.CANCELED,.badge.REJECTED,.badge.revoked{background:#fdecea;color:var(--bad)}
.badge.PROCESSING,.badge.PENDING{background:#fff4dc;color:var(--warn)}
[hidden]{display:none!important}
dialog{border:1px solid var(--line);border-radius:.75rem;padding:0;width:min(32rem,96vw);max-height:92vh}
dialog::backdrop{background:rgba(0,0,0,.45)}
dialog header{display:flex;justify-content:space-between;align-items:center;padding:.5rem 1rem;border-bottom:1px solid var(--line)}
dialog h2{margin:0;font-size:1rem}
dialog iframe{border:0;width:100%;height:26rem;display:block}
nav.top{background:#fff;border-bottom:1px solid var(--line)}
nav.top ul{list-style:none;margin:0 auto;padding:.5rem 1rem;display:flex;flex-wrap:wrap;gap:.25rem 1rem;max-width:72rem;align-items:center}
nav.top li.right{margin-left:auto}
nav.top form{display:inline}
nav.top button{padding:.3rem .7rem}
.secret{font-family:ui-monospace,Menlo,Consolas,monospace;word-break:break-all;background:var(--bg);padding:.5rem;border-radius:.4rem}
.grid{display:grid;gap:1rem;grid-template-columns:repeat(auto-fit,minmax(15rem,1fr))}
.inline{display:flex;gap:.5rem;flex-wrap:wrap;align-items:flex-end}
.inline label{margin:0}
.inline>div{flex:1 1 9rem}
code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.875em}
.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:.5rem;background:#fff;padding:.5rem;z-index:2}
`.trim();

/** The CSP source that allows exactly our one inline stylesheet. */
export const STYLE_HASH = `'sha256-${createHash('sha256').update(CSS).digest('base64')}'`;

export type PageKind = 'checkout' | 'portal' | 'framed';

/** Security headers for every HTML page we serve. Scripts only from our origin; nothing inline runs. */
export function pageHeaders(kind: PageKind): Record<string, string> {
  const csp = [
    "default-src 'none'",
    "script-src 'self'",
    `style-src ${STYLE_HASH}`,
    "img-src 'self' data:",
    "connect-src 'self'",
    kind === 'checkout' ? "frame-src 'self'" : "frame-src 'none'",
    "form-action 'self'",
    "base-uri 'none'",
    kind === 'framed' ? "frame-ancestors 'self'" : "frame-ancestors 'none'",
  ].join('; ');
  return {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': csp,
    'x-frame-options': kind === 'framed' ? 'SAMEORIGIN' : 'DENY',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'same-origin',
    'cache-control': 'no-store',
  };
}

export interface PageOptions {
  title: string;
  body: SafeHtml;
  /** Our own script URLs (served from /assets). */
  scripts?: readonly string[];
  nav?: SafeHtml;
  wide?: boolean;
}

export function page(o: PageOptions): string {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${o.title}</title><meta name="robots" content="noindex">
<style>${raw(CSS)}</style>
${(o.scripts ?? []).map((src) => html`<script src="${src}" defer></script>`)}
</head><body><a class="skip" href="#main">Skip to content</a>
${o.nav ?? ''}
<main id="main" class="${o.wide ? 'wide' : ''}">
${o.body}
</main></body></html>`.text;
}
