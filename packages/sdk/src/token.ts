/**
 * Client-credentials tokens, as the docs ask: obtain once, share the cached token, obtain a new one
 * when fewer than 5 minutes remain (`expires_in` is in MINUTES for API tokens), and never run two
 * obtain calls at once — concurrent callers wait on the one in flight.
 */

export const REFRESH_MARGIN_MS = 5 * 60_000;

export interface IssuedToken {
  access_token: string;
  /** When the token stops working, by the SDK's clock (the obtain call's start + expires_in). */
  expires_at_ms: number;
}

export class TokenManager {
  private current: IssuedToken | undefined;
  private inflight: Promise<IssuedToken> | undefined;
  /** How many obtain calls were made (tests and diagnostics). */
  obtained = 0;

  constructor(
    /** Performs POST /v1/jwt/client/obtain/token; returns the token and its lifetime in minutes. */
    private readonly obtain: () => Promise<{ access_token: string; expires_in: number }>,
    private readonly now: () => number,
  ) {}

  /** A token that is good for at least REFRESH_MARGIN_MS, or the one refresh everyone shares. */
  async get(): Promise<string> {
    const t = this.current;
    if (t && t.expires_at_ms - this.now() > REFRESH_MARGIN_MS) return t.access_token;
    try {
      return (await this.refresh()).access_token;
    } catch (err) {
      // The proactive refresh failed, but the old token still works: use it and try again next call.
      if (t && t.expires_at_ms - this.now() > 0) return t.access_token;
      throw err;
    }
  }

  /**
   * A 401 for `token` means the server no longer takes it (expired by its clock, key revoked, secret
   * rotated). Forget it unless a newer one already replaced it, then obtain again (shared).
   */
  async renewAfterRejection(token: string): Promise<string> {
    if (this.current?.access_token === token) this.current = undefined;
    if (this.current) return this.current.access_token;
    return (await this.refresh()).access_token;
  }

  /** Drop the cached token (e.g. after changing credentials). */
  clear(): void {
    this.current = undefined;
  }

  private refresh(): Promise<IssuedToken> {
    this.inflight ??= (async () => {
      try {
        const started_ms = this.now();
        this.obtained++;
        const res = await this.obtain();
        if (typeof res.access_token !== 'string' || !Number.isFinite(res.expires_in)) {
          throw new Error('the token endpoint answered without access_token/expires_in');
        }
        const issued = { access_token: res.access_token, expires_at_ms: started_ms + res.expires_in * 60_000 };
        this.current = issued;
        return issued;
      } finally {
        this.inflight = undefined;
      }
    })();
    return this.inflight;
  }
}
