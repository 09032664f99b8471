/**
 * Test helpers for the SDK: a client on the harness's server whose clock is the server's
 * ManualClock, a recording fetch, a loopback proxy that loses requests or responses on purpose,
 * and settlement of sandbox payments by moving the clock and running the reconciler.
 */
import { once } from 'node:events';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ManualClock } from '../../../src/clock.js';
import { reconcileDue } from '../../../src/jobs/reconcile.js';
import type { Harness, MerchantFixture } from '../../../test/helpers/server.js';
import { DollrClient, type DollrClientOptions } from '../src/index.js';

export interface Recorded {
  method: string;
  path: string;
  status: number | 'network-error';
}

/** A fetch that records every exchange (method, path without query, status). */
export function recordingFetch(log: Recorded[]): typeof fetch {
  return async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const method = init?.method ?? 'GET';
    try {
      const res = await fetch(input, init);
      log.push({ method, path: url.pathname, status: res.status });
      return res;
    } catch (err) {
      log.push({ method, path: url.pathname, status: 'network-error' });
      throw err;
    }
  };
}

export const tokenCalls = (log: Recorded[]) => log.filter((r) => r.path === '/v1/jwt/client/obtain/token').length;

/** Move the server's clock and settle what became due (the sandbox carrier answers by clock). */
export async function settleAfter(h: Harness, ms: number) {
  (h.clock as ManualClock).advance(ms);
  return reconcileDue(h.server.services);
}

/**
 * A client for merchant `m` on the harness's server. Its clock is the server's ManualClock and its
 * sleep moves that clock instead of waiting (recording each wait), so minutes of backoff and
 * polling run in milliseconds and deterministically.
 */
export function sdk(
  h: Harness,
  m: Pick<MerchantFixture, 'client_id' | 'client_secret'>,
  o: Partial<DollrClientOptions> & { log?: Recorded[]; sleeps?: number[]; onSleep?: (ms: number) => Promise<void> | void } = {},
): DollrClient {
  const { log, sleeps, onSleep, ...rest } = o;
  return new DollrClient({
    baseUrl: h.baseUrl,
    clientId: m.client_id,
    clientSecret: m.client_secret,
    now: () => h.clock.now().getTime(),
    sleep: async (ms) => {
      sleeps?.push(ms);
      (h.clock as ManualClock).advance(ms);
      await onSleep?.(ms);
    },
    random: () => 0.5,
    ...(log ? { fetch: recordingFetch(log) } : {}),
    ...rest,
  });
}

export type ProxyAction = 'forward' | 'drop-request' | 'drop-response' | { status: number; body: unknown; forward?: boolean };

export interface ProxySeen {
  method: string;
  path: string;
  body: string;
  action: ProxyAction;
}

/**
 * A loopback HTTP proxy in front of the server. `plan(req)` picks what happens to each request:
 * forward it, drop it before the server sees it (socket destroyed), forward it but destroy the
 * socket instead of answering (a lost response), or answer with a canned status.
 */
export async function startProxy(target: string, plan: (req: { method: string; path: string; body: string }) => ProxyAction) {
  const seen: ProxySeen[] = [];
  const upstream = new URL(target);
  const server: Server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const path = (req.url ?? '/').split('?')[0]!;
    const action = plan({ method: req.method ?? 'GET', path, body });
    seen.push({ method: req.method ?? 'GET', path, body, action });
    if (action === 'drop-request') return req.socket.destroy();
    if (typeof action === 'object' && !action.forward) {
      res.writeHead(action.status, { 'content-type': 'application/json' });
      return res.end(JSON.stringify(action.body));
    }
    const answer = await new Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer }>((resolve, reject) => {
      const up = httpRequest(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
        async (r) => {
          const parts: Buffer[] = [];
          for await (const c of r) parts.push(c as Buffer);
          resolve({ status: r.statusCode ?? 502, headers: r.headers, body: Buffer.concat(parts) });
        },
      );
      up.on('error', reject);
      up.end(body);
    });
    // The server has acted and answered; now lose that answer on the way back.
    if (action === 'drop-response') return req.socket.destroy();
    if (typeof action === 'object') {
      res.writeHead(action.status, { 'content-type': 'application/json' });
      return res.end(JSON.stringify(action.body));
    }
    const headers = { ...answer.headers };
    delete headers['transfer-encoding'];
    delete headers.connection;
    res.writeHead(answer.status, headers);
    res.end(answer.body);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Exact cents of a JSON amount for comparisons in tests (never used for money in the SDK). */
export const cents = (n: number) => Math.round(n * 100);
