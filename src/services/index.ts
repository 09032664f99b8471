import type { RateLimiter } from './rate-limit.js';
import type { AuthService } from './auth.js';
import type { Ctx } from './context.js';

/** The stateful parts a request may use; use cases themselves are plain functions taking `ctx`. */
export interface Services {
  readonly ctx: Ctx;
  readonly auth: AuthService;
  readonly limiter: RateLimiter;
}
