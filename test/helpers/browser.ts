/**
 * A real browser for the web tests: Debian's chromium driven by playwright-core (no browser
 * download is possible here). One browser per test file; each test takes a fresh context
 * (own cookies and storage). Screenshots go to test-artifacts/ (gitignored).
 */
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const ARTIFACTS_DIR = join(process.cwd(), 'test-artifacts');

/** Flags that keep a headless chromium quiet and offline (STACK.md §8). Playwright gives each launch a fresh temporary profile (--user-data-dir). */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--disable-dev-shm-usage',
];

export interface BrowserHarness {
  browser: Browser;
  /** A fresh context and page; closed after the test by `close()`. */
  newPage(opts?: { viewport?: { width: number; height: number } }): Promise<{ context: BrowserContext; page: Page }>;
}

export function useBrowser(): BrowserHarness {
  const h = {} as BrowserHarness;
  before(async () => {
    mkdirSync(ARTIFACTS_DIR, { recursive: true });
    h.browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
    h.newPage = async (opts = {}) => {
      // Phone-sized by default: the pages are built for phones first.
      const context = await h.browser.newContext({ viewport: opts.viewport ?? { width: 412, height: 915 }, deviceScaleFactor: 1 });
      context.setDefaultTimeout(15_000);
      const page = await context.newPage();
      return { context, page };
    };
  });
  after(async () => {
    await h.browser?.close();
  });
  return h;
}

export async function screenshot(page: Page, name: string): Promise<string> {
  const path = join(ARTIFACTS_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** A stand-in for the merchant's shop: the success and cancel pages the checkout returns to. */
export async function startShop(): Promise<{ base: string; hits: string[]; close(): Promise<void> }> {
  const hits: string[] = [];
  const server: Server = createServer((req, res) => {
    hits.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><title>Shop</title><h1>Shop: ${req.url?.startsWith('/success') ? 'thank you' : 'order canceled'}</h1>`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('assertion: shop has no port');
  return {
    base: `http://127.0.0.1:${address.port}`,
    hits,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
