/**
 * DollrClient: a typed method for every operation the server serves, grouped by resource
 * (`client.invoices.items.add(…)`, `client.executions.collection(…)`, `client.status.collection(ref)`).
 * Request and response types come from the generated OpenAPI types (types.ts); the methods add
 * nothing to the wire format — amounts go out and come back exactly as the caller and the server
 * wrote them.
 *
 * A new server operation is one line here: `(args, opts) => this.call('METHOD', '/v1/…', {…}, opts)`
 * typed with Body/Ok/Query/PathParams of its path.
 */
import { type ExecuteOptions, type ExecutionBodies, type ExecutionInput, SafeExecutor } from './executions.js';
import { DEFAULT_RETRY, realSleep, type RetryPolicy, type Timing } from './retry.js';
import { TokenManager } from './token.js';
import { type HttpMethod, type QueryValue, type RequestOptions, type ResponseMeta, Transport } from './transport.js';
import type { Body, ExecutionResponse, ObtainTokenResponse, Ok, Operation, Path, PathParams, Query } from './types.js';
import { statusEvents, Waiter, type WaitOptions } from './wait.js';

export const SDK_VERSION = '0.1.0';

export interface DollrClientOptions {
  /** The server's root or its /v1 URL (`http://localhost:8000` or `http://localhost:8000/v1`). */
  baseUrl: string;
  clientId: string;
  clientSecret: string;
  /** A fetch implementation (default: the global one, Node 18+). */
  fetch?: typeof fetch;
  /** Retry policy for reads, token calls and executions (defaults: DEFAULT_RETRY). */
  retry?: Partial<RetryPolicy>;
  /** Per-attempt timeout in ms (default 30 s). */
  timeoutMs?: number;
  userAgent?: string;
  /** Clock in ms since the epoch (default Date.now): token expiry, backoff budgets, wait deadlines. */
  now?: () => number;
  /** How the SDK waits between attempts and polls (default setTimeout). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Jitter source in [0, 1) (default Math.random). */
  random?: () => number;
}

interface CallInit {
  path?: Record<string, string | number>;
  query?: object | undefined;
  body?: unknown;
}

type ListPage<T> = (query: { limit?: number; starting_after?: number }, opts: RequestOptions) => Promise<T[]>;

/** Every item of a cursor-paged list, page by page (the cursor rides in X-Next-Cursor). */
async function* paginate<T>(page: ListPage<T>, limit: number | undefined, opts: RequestOptions = {}): AsyncGenerator<T> {
  let starting_after: number | undefined;
  for (;;) {
    let next: string | null = null;
    const items = await page(
      { ...(limit ? { limit } : {}), ...(starting_after !== undefined ? { starting_after } : {}) },
      {
        ...opts,
        onResponse: (m: ResponseMeta) => {
          next = m.headers.get('x-next-cursor');
          opts.onResponse?.(m);
        },
      },
    );
    yield* items;
    if (!next) return;
    starting_after = Number(next);
  }
}

export class DollrClient {
  readonly transport: Transport;
  readonly tokens: TokenManager;
  private readonly credentials: { client_id: string; client_secret: string };
  private readonly executor: SafeExecutor;
  private readonly waiter: Waiter;

  constructor(options: DollrClientOptions) {
    if (!options.clientId || !options.clientSecret) throw new TypeError('DollrClient needs clientId and clientSecret');
    const timing: Timing = {
      now: options.now ?? (() => Date.now()),
      sleep: options.sleep ?? realSleep,
      random: options.random ?? Math.random,
    };
    const fetchImpl = options.fetch ?? globalThis.fetch;
    if (typeof fetchImpl !== 'function') throw new TypeError('no fetch available: use Node 18+ or pass options.fetch');
    const userAgent = options.userAgent ?? `dollr-sdk-typescript/${SDK_VERSION} node/${process.versions.node}`;
    // One attempt per obtain: the request that needs the token owns the retries (transport.ts).
    this.tokens = new TokenManager(() => this.obtainToken({ retry: false }), timing.now);
    const transport = new Transport({
      baseUrl: options.baseUrl,
      fetch: fetchImpl.bind(globalThis),
      timing,
      retry: { ...DEFAULT_RETRY, ...(options.retry ?? {}) },
      timeoutMs: options.timeoutMs ?? 30_000,
      userAgent,
      tokens: this.tokens,
    });
    this.transport = transport;
    this.credentials = { client_id: options.clientId, client_secret: options.clientSecret };
    this.executor = new SafeExecutor(transport);
    this.waiter = new Waiter(transport);
  }

  /** POST /v1/jwt/client/obtain/token — what the token cache calls; `expires_in` is in minutes. */
  obtainToken(opts: RequestOptions = {}): Promise<ObtainTokenResponse> {
    return this.transport.request<ObtainTokenResponse>(
      { method: 'POST', path: '/v1/jwt/client/obtain/token', body: this.credentials, auth: false, idempotent: true },
      opts,
    );
  }

  /** Any operation by path, typed from the schema (for operations this class has no method for yet). */
  call<P extends Path, X extends HttpMethod>(method: X, path: P, init: CallInit = {}, opts: RequestOptions = {}): Promise<Ok<P, Lowercase<X>>> {
    return this.transport.request<Ok<P, Lowercase<X>>>(
      { method, path, pathParams: init.path, query: init.query as Record<string, QueryValue> | undefined, body: init.body },
      opts,
    );
  }

  // ---- merchants, parties, counterparties ----

  readonly merchants = {
    info: (query: Query<'/v1/merchants/merchant-info', 'get'>, opts?: RequestOptions) => this.call('GET', '/v1/merchants/merchant-info', { query }, opts),
  };

  readonly parties = {
    create: (body: Body<'/v1/parties/create', 'post'>, opts?: RequestOptions) => this.call('POST', '/v1/parties/create', { body }, opts),
    list: (query: Query<'/v1/parties/list', 'get'> = {}, opts?: RequestOptions) => this.call('GET', '/v1/parties/list', { query }, opts),
    listAll: (query: Omit<Query<'/v1/parties/list', 'get'>, 'starting_after'> = {}, opts?: RequestOptions) =>
      paginate((q, o) => this.parties.list({ ...query, ...q }, o), query.limit, opts),
    retrieve: (id: number, opts?: RequestOptions) => this.call('GET', '/v1/parties/retrieve/{id}', { path: { id } }, opts),
  };

  readonly counterparties = {
    create: (body: Body<'/v1/counterparties/create', 'post'>, opts?: RequestOptions) => this.call('POST', '/v1/counterparties/create', { body }, opts),
    list: (query: Query<'/v1/counterparties/list', 'get'> = {}, opts?: RequestOptions) => this.call('GET', '/v1/counterparties/list', { query }, opts),
    listAll: (query: Omit<Query<'/v1/counterparties/list', 'get'>, 'starting_after'> = {}, opts?: RequestOptions) =>
      paginate((q, o) => this.counterparties.list({ ...query, ...q }, o), query.limit, opts),
    retrieve: (id: number, opts?: RequestOptions) => this.call('GET', '/v1/counterparties/retrieve/{id}', { path: { id } }, opts),
    update: (id: number, body: Body<'/v1/counterparties/update/{id}', 'put'>, opts?: RequestOptions) =>
      this.call('PUT', '/v1/counterparties/update/{id}', { path: { id }, body }, opts),
  };

  // ---- invoices and orders (one shape, two paths) ----

  readonly invoices = this.sources('invoices', 'invoice_id', 'invoice_number');
  readonly orders = this.sources('orders', 'order_id', 'order_number');

  private sources<K extends 'invoices' | 'orders', I extends string, N extends string>(kind: K, idParam: I, numberParam: N) {
    type S = `/v1/${K}`;
    return {
      create: (body: Body<`${S}/create`, 'post'>, opts?: RequestOptions) => this.call('POST', `/v1/${kind}/create` as `${S}/create`, { body }, opts),
      update: (id: number, body: Body<`${S}/update/{id}`, 'put'>, opts?: RequestOptions) =>
        this.call('PUT', `/v1/${kind}/update/{id}` as `${S}/update/{id}`, { path: { id }, body }, opts),
      publish: (id: number, opts?: RequestOptions) => this.call('PUT', `/v1/${kind}/publish/{id}` as `${S}/publish/{id}`, { path: { id } }, opts),
      cancel: (id: number, opts?: RequestOptions) => this.call('DELETE', `/v1/${kind}/cancel/{id}` as `${S}/cancel/{id}`, { path: { id } }, opts),
      list: (query: Query<`${S}/list`, 'get'> = {} as Query<`${S}/list`, 'get'>, opts?: RequestOptions) =>
        this.call('GET', `/v1/${kind}/list` as `${S}/list`, { query }, opts),
      listAll: (query: Omit<Query<`${S}/list`, 'get'>, 'starting_after'> = {} as Query<`${S}/list`, 'get'>, opts?: RequestOptions) =>
        paginate<Ok<`${S}/list`, 'get'>[number]>(
          (q, o) => this.call('GET', `/v1/${kind}/list` as `${S}/list`, { query: { ...query, ...q } }, o),
          (query as { limit?: number }).limit,
          opts,
        ),
      retrieve: (id: number, opts?: RequestOptions) => this.call('GET', `/v1/${kind}/retrieve/{id}` as `${S}/retrieve/{id}`, { path: { id } }, opts),
      retrieveByNumber: (number: string, opts?: RequestOptions) =>
        this.call('GET', `/v1/${kind}/retrieve/number/{${numberParam}}` as `${S}/retrieve/number/{${N}}` & Path, { path: { [numberParam]: number } }, opts),
      receipt: (id: number | string, opts?: RequestOptions) => this.call('GET', `/v1/${kind}/receipt/{id}` as `${S}/receipt/{id}`, { path: { id } }, opts),
      receiptByNumber: (number: string, opts?: RequestOptions) =>
        this.call('GET', `/v1/${kind}/receipt/number/{${numberParam}}` as `${S}/receipt/number/{${N}}` & Path, { path: { [numberParam]: number } }, opts),
      items: {
        add: (sourceId: number, body: Body<`${S}/{${I}}/items/add` & Path, 'post'>, opts?: RequestOptions) =>
          this.call('POST', `/v1/${kind}/{${idParam}}/items/add` as `${S}/{${I}}/items/add` & Path, { path: { [idParam]: sourceId }, body }, opts),
        update: (sourceId: number, itemId: number, body: Body<`${S}/{${I}}/items/{id}/update` & Path, 'put'>, opts?: RequestOptions) =>
          this.call('PUT', `/v1/${kind}/{${idParam}}/items/{id}/update` as `${S}/{${I}}/items/{id}/update` & Path, { path: { [idParam]: sourceId, id: itemId }, body }, opts),
        remove: (sourceId: number, itemId: number, opts?: RequestOptions) =>
          this.call('DELETE', `/v1/${kind}/{${idParam}}/items/{id}/remove` as `${S}/{${I}}/items/{id}/remove` & Path, { path: { [idParam]: sourceId, id: itemId } }, opts),
      },
    };
  }

  // ---- payment accounts, links, hosted checkout ----

  readonly paymentAccounts = {
    /** Mobile-money accounts are reused per party + number + method + operation; cards are new each time. */
    create: (
      operation_type: Query<'/v1/payment-accounts/create', 'post'>['operation_type'],
      body: Body<'/v1/payment-accounts/create', 'post'>,
      opts?: RequestOptions,
    ) => this.call('POST', '/v1/payment-accounts/create', { query: { operation_type }, body }, opts),
  };

  readonly links = {
    pay: (query: Query<'/v1/links/pay', 'get'>, opts?: RequestOptions) => this.call('GET', '/v1/links/pay', { query }, opts),
    receipt: (query: Query<'/v1/links/receipt', 'get'>, opts?: RequestOptions) => this.call('GET', '/v1/links/receipt', { query }, opts),
  };

  readonly checkouts = {
    create: (body: Body<'/v1/checkouts/create', 'post'>, opts?: RequestOptions) => this.call('POST', '/v1/checkouts/create', { body }, opts),
  };

  // ---- sessions, executions, status ----

  readonly sessions = {
    checkout: (body: Body<'/v1/sessions/checkout', 'post'>, opts?: RequestOptions) => this.call('POST', '/v1/sessions/checkout', { body }, opts),
    payout: (body: Body<'/v1/sessions/payout', 'post'>, opts?: RequestOptions) => this.call('POST', '/v1/sessions/payout', { body }, opts),
    transfer: (body: Body<'/v1/sessions/transfer', 'post'>, opts?: RequestOptions) => this.call('POST', '/v1/sessions/transfer', { body }, opts),
    refund: (body: Body<'/v1/sessions/refund', 'post'>, opts?: RequestOptions) => this.call('POST', '/v1/sessions/refund', { body }, opts),
  };

  /**
   * Executions with the docs' safety rules (executions.ts): the reference_id is made (or taken)
   * and handed to `onReferenceId` before the request; unknown outcomes are settled through the
   * status endpoint and retried with the same reference_id.
   */
  readonly executions = {
    collection: (input: ExecutionInput<ExecutionBodies['collection']>, opts?: ExecuteOptions<ExecutionBodies['collection']>) =>
      this.executor.execute('collection', input, opts),
    payout: (input: ExecutionInput<ExecutionBodies['payout']>, opts?: ExecuteOptions<ExecutionBodies['payout']>) =>
      this.executor.execute('payout', input, opts),
    transfer: (input: ExecutionInput<ExecutionBodies['transfer']>, opts?: ExecuteOptions<ExecutionBodies['transfer']>) =>
      this.executor.execute('transfer', input, opts),
    refund: (input: ExecutionInput<ExecutionBodies['refund']>, opts?: ExecuteOptions<ExecutionBodies['refund']>) =>
      this.executor.execute('refund', input, opts),
  };

  readonly status = {
    get: (operation: Operation, reference_id: string, opts?: RequestOptions): Promise<ExecutionResponse> =>
      this.call('GET', `/v1/status/${operation}/{reference_id}` as '/v1/status/collection/{reference_id}', { path: { reference_id } }, opts),
    collection: (reference_id: string, opts?: RequestOptions) => this.status.get('collection', reference_id, opts),
    payout: (reference_id: string, opts?: RequestOptions) => this.status.get('payout', reference_id, opts),
    transfer: (reference_id: string, opts?: RequestOptions) => this.status.get('transfer', reference_id, opts),
    refund: (reference_id: string, opts?: RequestOptions) => this.status.get('refund', reference_id, opts),
    source: (query: Query<'/v1/status/source', 'get'>, opts?: RequestOptions) => this.call('GET', '/v1/status/source', { query }, opts),
  };

  /** Follow an execution to COMPLETED or FAILED (polling; realtime stream first when asked). */
  waitForFinal(operation: Operation, reference_id: string, opts?: WaitOptions): Promise<ExecutionResponse> {
    return this.waiter.waitForFinal(operation, reference_id, opts);
  }

  readonly realtimeKeys = {
    /** A short-lived key for one collection's event stream; `expires_in` is in SECONDS. */
    collection: (body: Body<'/v1/realtime-keys/collection', 'post'>, opts?: RequestOptions) =>
      this.call('POST', '/v1/realtime-keys/collection', { body }, opts),
  };

  readonly realtime = {
    /**
     * The collection's status events (the current state first, then each change) until the server
     * closes the stream after COMPLETED or FAILED. Hints for a UI: fulfil on the status endpoint.
     */
    collection: (reference_id: string, access_token: string, opts: { signal?: AbortSignal; idleMs?: number } = {}) =>
      statusEvents(this.transport, reference_id, access_token, opts),
  };

  // ---- wallets (beyond Dollr), fees, predictions ----

  readonly wallets = {
    list: (opts?: RequestOptions) => this.call('GET', '/v1/wallets', {}, opts),
    retrieve: (wallet_id: PathParams<'/v1/wallets/{wallet_id}', 'get'>['wallet_id'], opts?: RequestOptions) =>
      this.call('GET', '/v1/wallets/{wallet_id}', { path: { wallet_id } }, opts),
    entries: (
      wallet_id: PathParams<'/v1/wallets/{wallet_id}/entries', 'get'>['wallet_id'],
      query: Query<'/v1/wallets/{wallet_id}/entries', 'get'> = {},
      opts?: RequestOptions,
    ) => this.call('GET', '/v1/wallets/{wallet_id}/entries', { path: { wallet_id }, query }, opts),
  };

  readonly fees = {
    gateway: (query: Query<'/v1/fees/gateway', 'get'> = {}, opts?: RequestOptions) => this.call('GET', '/v1/fees/gateway', { query }, opts),
    platform: (query: Query<'/v1/fees/platform', 'get'> = {}, opts?: RequestOptions) => this.call('GET', '/v1/fees/platform', { query }, opts),
    merchantTier: (query: Query<'/v1/fees/merchant-tier', 'get'>, opts?: RequestOptions) => this.call('GET', '/v1/fees/merchant-tier', { query }, opts),
    tiers: (query: Query<'/v1/fees/tiers', 'get'> = {}, opts?: RequestOptions) => this.call('GET', '/v1/fees/tiers', { query }, opts),
  };

  readonly predictions = {
    amountAndFees: (query: Query<'/v1/predictions/amount-and-fees', 'get'>, opts?: RequestOptions) =>
      this.call('GET', '/v1/predictions/amount-and-fees', { query }, opts),
    paymentSourceAmountAndFees: (query: Query<'/v1/predictions/payment-source/amount-and-fees', 'get'>, opts?: RequestOptions) =>
      this.call('GET', '/v1/predictions/payment-source/amount-and-fees', { query }, opts),
    mmoProviderInfo: (query: Query<'/v1/predictions/mmo-provider-info', 'get'>, opts?: RequestOptions) =>
      this.call('GET', '/v1/predictions/mmo-provider-info', { query }, opts),
    cardProviderInfo: (query: Query<'/v1/predictions/card-provider-info', 'get'>, opts?: RequestOptions) =>
      this.call('GET', '/v1/predictions/card-provider-info', { query }, opts),
  };

  // ---- webhooks (beyond Dollr) ----

  readonly webhooks = {
    endpoints: {
      /** The answer carries `secret` (whsec_…) — the only time it is shown: store it now. */
      create: (body: Body<'/v1/webhooks/endpoints', 'post'>, opts?: RequestOptions) => this.call('POST', '/v1/webhooks/endpoints', { body }, opts),
      list: (opts?: RequestOptions) => this.call('GET', '/v1/webhooks/endpoints', {}, opts),
      delete: (endpoint_id: number, opts?: RequestOptions) =>
        this.call('DELETE', '/v1/webhooks/endpoints/{endpoint_id}', { path: { endpoint_id } }, opts),
      deliveries: (endpoint_id: number, query: Query<'/v1/webhooks/endpoints/{endpoint_id}/deliveries', 'get'> = {}, opts?: RequestOptions) =>
        this.call('GET', '/v1/webhooks/endpoints/{endpoint_id}/deliveries', { path: { endpoint_id }, query }, opts),
      deliveriesAll: (endpoint_id: number, query: { limit?: number } = {}, opts?: RequestOptions) =>
        paginate((q, o) => this.webhooks.endpoints.deliveries(endpoint_id, q, o), query.limit, opts),
    },
    deliveries: {
      attempts: (delivery_id: number, opts?: RequestOptions) =>
        this.call('GET', '/v1/webhooks/deliveries/{delivery_id}/attempts', { path: { delivery_id } }, opts),
      /** Send the delivery again now (once; a replay is not retried by the server). */
      replay: (delivery_id: number, opts?: RequestOptions) =>
        this.call('POST', '/v1/webhooks/deliveries/{delivery_id}/replay', { path: { delivery_id } }, opts),
    },
  };
}
