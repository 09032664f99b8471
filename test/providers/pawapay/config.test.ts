/** pawaPay configuration: off by default (in-process sandbox), and refused when it would leak or cannot work. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../../src/config.js';

const load = (env: Record<string, string>) => loadConfig(env as NodeJS.ProcessEnv);

describe('pawaPay configuration', () => {
  it('is off unless PAWAPAY_BASE_URL is set: mobile money stays on the in-process sandbox', () => {
    assert.equal(load({}).pawapay, undefined);
    assert.equal(load({ PAWAPAY_API_TOKEN: 'x' }).pawapay, undefined);
  });

  it('reads the base URL, token, timeout and callback options', () => {
    assert.deepEqual(load({ PAWAPAY_BASE_URL: 'https://api.sandbox.pawapay.io/', PAWAPAY_API_TOKEN: ' tok ' }).pawapay, {
      base_url: 'https://api.sandbox.pawapay.io',
      api_token: 'tok',
      timeout_ms: 8000,
      callback_signatures: 'off',
      callback_url: undefined,
    });
    const c = load({
      PAWAPAY_BASE_URL: 'http://127.0.0.1:9010',
      PAWAPAY_API_TOKEN: 'tok',
      PAWAPAY_TIMEOUT_MS: '2500',
      PAWAPAY_CALLBACK_SIGNATURES: 'required',
      PAWAPAY_CALLBACK_URL: 'https://pay.example.com/callbacks/pawapay',
    }).pawapay;
    assert.equal(c?.timeout_ms, 2500);
    assert.equal(c?.callback_signatures, 'required');
    assert.equal(c?.callback_url, 'https://pay.example.com/callbacks/pawapay');
  });

  it('refuses settings that would leak the token or cannot work', () => {
    const bad: [Record<string, string>, RegExp][] = [
      [{ PAWAPAY_BASE_URL: 'http://api.pawapay.io', PAWAPAY_API_TOKEN: 't' }, /must be https/],
      [{ PAWAPAY_BASE_URL: 'ftp://127.0.0.1', PAWAPAY_API_TOKEN: 't' }, /must be https/],
      [{ PAWAPAY_BASE_URL: 'not a url', PAWAPAY_API_TOKEN: 't' }, /must be a URL/],
      [{ PAWAPAY_BASE_URL: 'https://api.pawapay.io' }, /PAWAPAY_API_TOKEN is required/],
      [{ PAWAPAY_BASE_URL: 'https://api.pawapay.io', PAWAPAY_API_TOKEN: 't', PAWAPAY_TIMEOUT_MS: '10000' }, /PAWAPAY_TIMEOUT_MS must be 1–9000/],
      [{ PAWAPAY_BASE_URL: 'https://api.pawapay.io', PAWAPAY_API_TOKEN: 't', PAWAPAY_TIMEOUT_MS: '0' }, /PAWAPAY_TIMEOUT_MS/],
      [{ PAWAPAY_BASE_URL: 'https://api.pawapay.io', PAWAPAY_API_TOKEN: 't', PAWAPAY_CALLBACK_SIGNATURES: 'maybe' }, /PAWAPAY_CALLBACK_SIGNATURES/],
      [{ PAWAPAY_BASE_URL: 'https://api.pawapay.io', PAWAPAY_API_TOKEN: 't', PAWAPAY_CALLBACK_URL: 'pay.example.com' }, /PAWAPAY_CALLBACK_URL/],
    ];
    for (const [env, pattern] of bad) assert.throws(() => load(env), pattern, JSON.stringify(env));
  });
});
