/** HTML escaping for server-rendered pages: every interpolated value goes through this. */
const MAP: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => MAP[c]!);
}

/** Markup that is already safe (built by `html` or escaped); anything else interpolated is escaped. */
export class SafeHtml {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

function render(value: unknown): string {
  if (value instanceof SafeHtml) return value.text;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === null || value === undefined || value === false) return '';
  return escapeHtml(value);
}

/**
 * A template tag that escapes every interpolation unless it is SafeHtml (a nested `html` result),
 * so a page cannot forget to escape: `html\`<td>${name}</td>\``. Arrays are joined; null,
 * undefined and false render nothing (for `${cond && html\`…\`}`).
 */
export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1]!;
  return new SafeHtml(out);
}

/** Trusted constant markup (never user data). */
export function raw(text: string): SafeHtml {
  return new SafeHtml(text);
}

/**
 * JSON for a `<script type="application/json">` data island: `<` is escaped so the text can never
 * close the script element, whatever the data holds.
 */
export function jsonIsland(id: string, data: unknown): SafeHtml {
  const json = JSON.stringify(data).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
  return new SafeHtml(`<script type="application/json" id="${escapeHtml(id)}">${json}</script>`);
}
