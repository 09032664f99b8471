/** The sandbox 3D Secure challenge: what a bank's page would ask, with a Complete and a Fail button. */
import { escapeHtml } from './html.js';

export function challengePage(intent_id: string, intent: { amount: string; currency: string; awaiting: boolean }, return_url: string): string {
  const action = `/sandbox/3ds/${encodeURIComponent(intent_id)}`;
  const hidden = return_url ? `<input type="hidden" name="return_url" value="${escapeHtml(return_url)}">` : '';
  const body = intent.awaiting
    ? `<p>Authenticate the payment of <strong>${escapeHtml(intent.amount)} ${escapeHtml(intent.currency.toUpperCase())}</strong>.</p>
       <form method="post" action="${action}">${hidden}
         <button type="submit" name="result" value="complete" id="complete-3ds">Complete authentication</button>
         <button type="submit" name="result" value="fail" id="fail-3ds" class="secondary">Fail authentication</button>
       </form>`
    : '<p>This payment is not waiting for authentication.</p>';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>3D Secure — sandbox</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem;color:#1a1a1a}
h1{font-size:1.25rem}button{font:inherit;padding:.6rem 1rem;margin:.25rem .5rem .25rem 0;border-radius:.4rem;border:1px solid #1d4ed8;background:#1d4ed8;color:#fff;cursor:pointer}
button.secondary{background:#fff;color:#1d4ed8}button:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}
.note{color:#555;font-size:.875rem}</style></head>
<body><main><h1>Sandbox bank: 3D Secure</h1>${body}
<p class="note">This is the sandbox's test challenge. No real card or bank is involved.</p></main></body></html>`;
}
