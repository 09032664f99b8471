import { bool, cleanEnv, num, str } from 'envalid';

/** A fee or FX change made elsewhere (another instance, the admin CLI) shows within this bound. */
export const PRICING_CACHE_TTL_MS_MAX = 5000;

/** Everything the server reads from the environment, validated once at start. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env) {
  const e = cleanEnv(
    env,
    {
    PORT: num({ default: 8000, desc: 'TCP port; 0 picks a free one' }),
    HOST: str({ default: '127.0.0.1' }),
    LOG_LEVEL: str({ default: 'info', choices: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] }),
    DATA_DIR: str({ default: './data' }),
    DATABASE_URL: str({ default: '' }),
    DATABASE_POOL_MAX: num({ default: 10 }),
    DATABASE_PREPARED_STATEMENTS: bool({ default: true, desc: 'name statements so PostgreSQL plans them once per connection; false behind a transaction-mode pooler' }),
    PUBLIC_BASE_URL: str({ default: '' }),
    JWT_SECRET: str({ default: '' }),
    TOKEN_TTL_MINUTES: num({ default: 60 }),
    AUTH_CACHE_TTL_MS: num({ default: 1000 }),
    GROUP_COMMIT_MAX: num({ default: 64, desc: 'executions (and carrier answers) that share one transaction at most; 1 gives each its own' }),
    GROUP_COMMIT_CONCURRENCY: num({ default: 2, desc: 'group-commit transactions of one kind in flight at once (PostgreSQL; the embedded database runs one)' }),
    GROUP_COMMIT_SPILL: num({ default: 16, desc: 'units that must wait before another group-commit transaction of a kind starts beside a running one (1: whenever a slot is free)' }),
    STATUS_CACHE_ENTRIES: num({ default: 20_000, desc: 'final executions an instance remembers for status polls (0 = read every poll from the database)' }),
    BODY_LIMIT_BYTES: num({ default: 1_048_576 }),
    METRICS_TOKEN: str({ default: '', desc: 'when set, GET /metrics answers only requests with Authorization: Bearer <it> (Prometheus: authorization.credentials); empty leaves /metrics open, for a firewalled port' }),
    RATE_LIMIT_MERCHANT_PER_MIN: num({ default: 1200 }),
    RATE_LIMIT_IP_PER_MIN: num({ default: 600 }),
    RATE_LIMIT_STORE: str({ default: 'auto', choices: ['auto', 'memory', 'postgres'] }),
    SANDBOX_BOOTSTRAP: bool({ default: true }),
    SANDBOX_TIME_SCALE: num({ default: 1, desc: 'Multiplies the sandbox carriers\' delays (0.01: a 15 s approval takes 150 ms)' }),
    PRICING_CACHE_TTL_MS: num({ default: 5000, desc: 'how long an instance reuses fee/FX reference rows (0 = read them for every quote)' }),
    PAWAPAY_BASE_URL: str({ default: '', desc: 'pawaPay Merchant API (v2) base URL; set it to use pawaPay (or its simulator) instead of the in-process sandbox' }),
    PAWAPAY_API_TOKEN: str({ default: '', desc: 'pawaPay API token (bearer); required with PAWAPAY_BASE_URL' }),
    PAWAPAY_TIMEOUT_MS: num({ default: 8000, desc: 'per-call timeout towards pawaPay' }),
    PAWAPAY_CALLBACK_SIGNATURES: str({ default: 'off', choices: ['off', 'required'], desc: 'required: accept only callbacks pawaPay signed (RFC 9421)' }),
    PAWAPAY_CALLBACK_URL: str({ default: '', desc: 'the public URL pawaPay posts callbacks to, when a proxy changes host or path' }),
    DOLLR_SANDBOX_CLIENT_ID: str({ default: '' }),
    DOLLR_SANDBOX_CLIENT_SECRET: str({ default: '' }),
    DOLLR_SANDBOX_PASSCODE: str({ default: '' }),
    DOLLR_SANDBOX_PHONE: str({ default: '231770000001' }),
    DOLLR_SANDBOX_PORTAL_EMAIL: str({ default: 'owner@sandbox.test' }),
    DOLLR_SANDBOX_PORTAL_PASSWORD: str({ default: '' }),
    DOLLR_SANDBOX_OPERATOR_EMAIL: str({ default: 'operator@sandbox.test' }),
    DOLLR_SANDBOX_OPERATOR_PASSWORD: str({ default: '' }),
    },
    {
      // Throw instead of exiting, so callers (CLI, tests) report the problem their own way.
      reporter: ({ errors }) => {
        const problems = Object.entries(errors as Record<string, Error | undefined>).map(([n, e]) => `${n} (${e?.message})`);
        if (problems.length) throw new Error(`invalid environment: ${problems.join(', ')}`);
      },
    },
  );
  if (!Number.isInteger(e.PORT) || e.PORT < 0 || e.PORT > 65535) throw new Error('invalid environment: PORT must be 0–65535');
  if (!Number.isInteger(e.PRICING_CACHE_TTL_MS) || e.PRICING_CACHE_TTL_MS < 0 || e.PRICING_CACHE_TTL_MS > PRICING_CACHE_TTL_MS_MAX) {
    throw new Error(`invalid environment: PRICING_CACHE_TTL_MS must be 0–${PRICING_CACHE_TTL_MS_MAX}`);
  }
  for (const [name, v, max] of [['GROUP_COMMIT_MAX', e.GROUP_COMMIT_MAX, 256], ['GROUP_COMMIT_CONCURRENCY', e.GROUP_COMMIT_CONCURRENCY, 64], ['GROUP_COMMIT_SPILL', e.GROUP_COMMIT_SPILL, 256]] as const) {
    if (!Number.isInteger(v) || v < 1 || v > max) throw new Error(`invalid environment: ${name} must be 1–${max}`);
  }
  const database_url = e.DATABASE_URL.trim();
  if (database_url && !/^postgres(ql)?:\/\//.test(database_url)) {
    throw new Error('DATABASE_URL must start with postgres:// or postgresql://');
  }
  const pawapay = pawapayConfig(e);
  return {
    port: e.PORT,
    host: e.HOST,
    log_level: e.LOG_LEVEL,
    data_dir: e.DATA_DIR,
    database_url: database_url || undefined,
    database_pool_max: e.DATABASE_POOL_MAX,
    database_prepared_statements: e.DATABASE_PREPARED_STATEMENTS,
    public_base_url: e.PUBLIC_BASE_URL.replace(/\/+$/, '') || undefined,
    jwt_secret: e.JWT_SECRET || undefined,
    token_ttl_minutes: e.TOKEN_TTL_MINUTES,
    auth_cache_ttl_ms: e.AUTH_CACHE_TTL_MS,
    status_cache_entries: e.STATUS_CACHE_ENTRIES,
    group_commit: { batch_max: e.GROUP_COMMIT_MAX, concurrency: e.GROUP_COMMIT_CONCURRENCY, spill_min: e.GROUP_COMMIT_SPILL },
    body_limit_bytes: e.BODY_LIMIT_BYTES,
    /** Undefined: /metrics is open (the operator keeps it off the public network). */
    metrics_token: e.METRICS_TOKEN || undefined,
    pricing_cache_ttl_ms: e.PRICING_CACHE_TTL_MS,
    rate_limit: {
      merchant_per_min: e.RATE_LIMIT_MERCHANT_PER_MIN,
      ip_per_min: e.RATE_LIMIT_IP_PER_MIN,
      store: e.RATE_LIMIT_STORE,
    },
    sandbox: {
      bootstrap: e.SANDBOX_BOOTSTRAP,
      client_id: e.DOLLR_SANDBOX_CLIENT_ID || undefined,
      client_secret: e.DOLLR_SANDBOX_CLIENT_SECRET || undefined,
      passcode: e.DOLLR_SANDBOX_PASSCODE || undefined,
      phone: e.DOLLR_SANDBOX_PHONE,
      portal_email: e.DOLLR_SANDBOX_PORTAL_EMAIL,
      portal_password: e.DOLLR_SANDBOX_PORTAL_PASSWORD || undefined,
      operator_email: e.DOLLR_SANDBOX_OPERATOR_EMAIL,
      operator_password: e.DOLLR_SANDBOX_OPERATOR_PASSWORD || undefined,
      time_scale: e.SANDBOX_TIME_SCALE,
    },
    /** Undefined: mobile money runs on the in-process sandbox. */
    pawapay,
  };
}

/**
 * pawaPay is on when PAWAPAY_BASE_URL is set. The token travels in clear over http, so plain http
 * is only accepted on loopback (the simulator). The timeout stays under settlement's 10 s carrier
 * limit so our own abort, not the outer race, ends a slow call.
 */
function pawapayConfig(e: {
  PAWAPAY_BASE_URL: string;
  PAWAPAY_API_TOKEN: string;
  PAWAPAY_TIMEOUT_MS: number;
  PAWAPAY_CALLBACK_SIGNATURES: string;
  PAWAPAY_CALLBACK_URL: string;
}) {
  const base_url = e.PAWAPAY_BASE_URL.trim().replace(/\/+$/, '');
  if (!base_url) return undefined;
  let url: URL;
  try {
    url = new URL(base_url);
  } catch {
    throw new Error('invalid environment: PAWAPAY_BASE_URL must be a URL such as https://api.sandbox.pawapay.io');
  }
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new Error('invalid environment: PAWAPAY_BASE_URL must be https (plain http only on loopback, for the simulator)');
  }
  if (!e.PAWAPAY_API_TOKEN.trim()) throw new Error('invalid environment: PAWAPAY_API_TOKEN is required with PAWAPAY_BASE_URL');
  if (!Number.isInteger(e.PAWAPAY_TIMEOUT_MS) || e.PAWAPAY_TIMEOUT_MS < 1 || e.PAWAPAY_TIMEOUT_MS > 9000) {
    throw new Error('invalid environment: PAWAPAY_TIMEOUT_MS must be 1–9000');
  }
  const callback_url = e.PAWAPAY_CALLBACK_URL.trim();
  if (callback_url && !/^https?:\/\//.test(callback_url)) throw new Error('invalid environment: PAWAPAY_CALLBACK_URL must be an http(s) URL');
  return {
    base_url,
    api_token: e.PAWAPAY_API_TOKEN.trim(),
    timeout_ms: e.PAWAPAY_TIMEOUT_MS,
    callback_signatures: e.PAWAPAY_CALLBACK_SIGNATURES as 'off' | 'required',
    callback_url: callback_url || undefined,
  };
}

export type Config = ReturnType<typeof loadConfig>;
