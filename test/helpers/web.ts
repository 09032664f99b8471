/** A cookie-keeping client for the portal's HTML forms over real HTTP (no browser): sign in, read CSRF tokens, post forms. */
import assert from 'node:assert/strict';

export interface WebResponse {
  status: number;
  text: string;
  headers: Headers;
  location: string | null;
}

export class WebClient {
  readonly cookies = new Map<string, string>();
  /** Every Set-Cookie header seen, raw (tests check the flags). */
  readonly setCookies: string[] = [];

  constructor(readonly baseUrl: string) {}

  private remember(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      this.setCookies.push(line);
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (/max-age=0/i.test(line) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  async request(method: string, path: string, opts: { form?: Record<string, string>; headers?: Record<string, string> } = {}): Promise<WebResponse> {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (this.cookies.size) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    let body: string | undefined;
    if (opts.form) {
      body = new URLSearchParams(opts.form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    const res = await fetch(new URL(path, this.baseUrl), { method, headers, body, redirect: 'manual' });
    this.remember(res);
    return { status: res.status, text: await res.text(), headers: res.headers, location: res.headers.get('location') };
  }

  get(path: string, headers?: Record<string, string>) {
    return this.request('GET', path, headers ? { headers } : {});
  }

  post(path: string, form: Record<string, string>, headers?: Record<string, string>) {
    return this.request('POST', path, headers ? { form, headers } : { form });
  }

  /** Sign in through the form (its own CSRF cookie included); returns the POST's response. */
  async signIn(email: string, password: string): Promise<WebResponse> {
    const form = await this.get('/portal/login');
    return this.post('/portal/login', { email, password, _csrf: csrfOf(form.text) });
  }
}

/** The first CSRF token in a page's forms. */
export function csrfOf(html: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(html);
  assert.ok(m, 'the page has a form with a CSRF token');
  return m[1]!;
}
