/**
 * The `dollr` CLI end to end: each command runs as a child process (the built bin, as npm installs
 * it) against a real server started by the test, with a temporary HOME/XDG_CONFIG_HOME.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { backends } from '../../../test/helpers/backends.js';
import { msisdn, publishedInvoice } from '../../../test/helpers/fixtures.js';
import { counterparty } from '../../../test/helpers/objects.js';
import { type MerchantFixture, useServer } from '../../../test/helpers/server.js';
import { settleAfter } from './helpers.js';

const PKG = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(PKG, 'dist', 'cli', 'main.js');
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

let home: string;

function cli(args: string[], o: { xdg?: string; onStderr?: (text: string) => void } = {}): Promise<Run> {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home, XDG_CONFIG_HOME: o.xdg ?? join(home, 'xdg'), NO_COLOR: '1' };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      stderr += d;
      o.onStderr?.(stderr);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const json = (r: Run) => {
  assert.equal(r.code, 0, `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return JSON.parse(r.stdout);
};

before(async () => {
  // The bin as `npm install` builds it (tsc to dist/, incremental: quick when nothing changed).
  await promisify(execFile)('npm', ['run', '-s', 'build'], { cwd: PKG });
  home = await mkdtemp(join(tmpdir(), 'dollr-cli-'));
});
after(async () => {
  await rm(home, { recursive: true, force: true });
});

for (const backend of backends()) {
  describe(`dollr CLI [${backend}]`, () => {
    const h = useServer(backend);

    async function login(m: MerchantFixture, xdg = join(home, `xdg-${m.merchant_id}-${backend}`)) {
      const r = await cli(['login', '--base-url', `${h.baseUrl}/v1`, '--client-id', m.client_id, '--client-secret', m.client_secret, '--passcode-phone', m.phone, '--json'], { xdg });
      json(r);
      return xdg;
    }

    it('login checks the credentials, then stores them 0600 under $XDG_CONFIG_HOME/dollr', async () => {
      const m = await h.merchant();
      const xdg = join(home, `login-${backend}`);
      const bad = await cli(['login', '--base-url', h.baseUrl, '--client-id', m.client_id, '--client-secret', 'wrong'], { xdg });
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /Could not validate credentials \(401\)/);
      await assert.rejects(stat(join(xdg, 'dollr', 'config.json')), /ENOENT/, 'nothing stored for bad credentials');

      const ok = await cli(['login', '--base-url', h.baseUrl, '--client-id', m.client_id, '--client-secret', m.client_secret], { xdg });
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(ok.stdout, /Logged in to .* Credentials saved to .*config\.json \(mode 0600\)/);
      const file = join(xdg, 'dollr', 'config.json');
      assert.equal((await stat(file)).mode & 0o777, 0o600);
      assert.equal((await stat(join(xdg, 'dollr'))).mode & 0o777, 0o700);
      const stored = JSON.parse(await readFile(file, 'utf8'));
      assert.deepEqual(Object.keys(stored).sort(), ['base_url', 'client_id', 'client_secret']);
      assert.equal(stored.client_id, m.client_id);

      const wallets = json(await cli(['wallets', '--json'], { xdg }));
      const currencies = wallets.map((w: { currency: string }) => w.currency);
      assert.ok(currencies.includes('USD') && currencies.includes('LRD'), currencies.join());
      const human = await cli(['wallets'], { xdg });
      assert.match(human.stdout, /^id\s+currency\s+available\s+pending/m);
      assert.match(human.stdout, /USD\s+10000\.00 USD/);

      const fresh = await cli(['wallets'], { xdg: join(home, 'nobody') });
      assert.equal(fresh.code, 2);
      assert.match(fresh.stderr, /not logged in: run `dollr login`/);
    });

    it('invoice create → items add → publish, with JSON out and clear 422 and usage messages', async () => {
      const m = await h.merchant();
      const xdg = await login(m);
      const cp = await counterparty(m.api);
      const inv = json(await cli(['invoice', 'create', '--counterparty-id', String(cp.id), '--currency', 'USD', '--note', 'Consulting', '--json'], { xdg }));
      assert.equal(inv.status, 'IDLE');
      const item = json(await cli(['invoice', 'items', 'add', String(inv.id), '--name', 'Strategy Session', '--amount', '19.99', '--qty', '3', '--json'], { xdg }));
      assert.equal(item.amount, 19.99);
      const published = json(await cli(['--json', 'invoice', 'publish', String(inv.id)], { xdg }));
      assert.equal(published.status, 'ACTIVE');
      assert.equal(published.total_amount, 59.97);
      const shown = await cli(['invoice', 'show', String(inv.id)], { xdg });
      assert.match(shown.stdout, /total_amount\s+59\.97 USD/);

      const refused = await cli(['invoice', 'items', 'add', String(inv.id), '--name', 'Late item', '--amount', '5', '--currency', 'LRD'], { xdg });
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /The server refused the request \(422\) — fix this:\n {2}• path\.\w+: /);
      const refusedJson = await cli(['invoice', 'items', 'add', String(inv.id), '--name', 'Late item', '--amount', '5', '--json'], { xdg });
      assert.equal(refusedJson.code, 1);
      const e = JSON.parse(refusedJson.stderr).error;
      assert.equal(e.status, 422);
      assert.ok(Array.isArray(e.body.detail));

      const usage = await cli(['invoice', 'items', 'add', String(inv.id), '--name', 'x', '--amount', '1e3'], { xdg });
      assert.equal(usage.code, 2);
      assert.match(usage.stderr, /--amount must be a plain decimal/);
      assert.equal((await cli(['invoice', 'create', '--bogus'], { xdg })).code, 2);
    });

    it('collect prints the reference_id first, completes on an instant number; status and wallets agree', async () => {
      const m = await h.merchant();
      const xdg = await login(m);
      const inv = await publishedInvoice(m, { items: [{ amount: 25 }] });
      const r = await cli(['collect', '--invoice', String(inv.id), '--phone', msisdn('000')], { xdg });
      assert.equal(r.code, 0, r.stderr);
      const [first] = r.stdout.split('\n');
      assert.match(first!, /^reference_id [0-9a-f-]{36} {3}\(if this stops early: dollr status collection /);
      const ref = UUID.exec(first!)![0];
      assert.match(r.stdout, /status\s+COMPLETED/);
      assert.match(r.stdout, /payee_amount\s+25\.00 USD/);
      const st = json(await cli(['status', 'collection', ref, '--json'], { xdg }));
      assert.equal(st.status, 'COMPLETED');
      assert.equal(st.reference_id, ref);
      const usd = json(await cli(['wallets', '--json'], { xdg })).find((w: { currency: string }) => w.currency === 'USD');
      assert.equal(usd.available_balance, 10025);
    });

    it('wait shows progress while PROCESSING and exits 0 on COMPLETED, 3 on FAILED, 4 on timeout', async () => {
      const m = await h.merchant();
      const xdg = await login(m);
      const collectJson = async (suffix: string) => {
        const inv = await publishedInvoice(m);
        const r = await cli(['collect', '--invoice', String(inv.id), '--phone', msisdn(suffix), '--json'], { xdg });
        assert.match(r.stderr, /^\{"reference_id":"[0-9a-f-]{36}"\}\n/, 'the reference_id comes first, on stderr, under --json');
        return json(r);
      };
      const pending = await collectJson('001');
      assert.equal(pending.status, 'PROCESSING');

      // While the child polls, move the server's clock and let the reconciler settle.
      let done = false;
      let reported = false;
      const waiting = cli(['wait', 'collection', pending.reference_id, '--interval', '100ms'], {
        xdg,
        onStderr: (text) => (reported = /PROCESSING after/.test(text)),
      }).finally(() => (done = true));
      // Let the child report PROCESSING before the payment may settle (it starts slowly on a busy machine).
      for (let i = 0; i < 400 && !reported && !done; i++) await new Promise((r) => setTimeout(r, 50));
      while (!done) {
        await settleAfter(h, 2_000);
        await new Promise((r) => setTimeout(r, 50));
      }
      const w = await waiting;
      assert.equal(w.code, 0, w.stderr);
      assert.match(w.stderr, /^PROCESSING after \d+s$/m);
      assert.match(w.stdout, /status\s+COMPLETED/);

      // collect --wait follows the realtime stream (or polls) to the end in one command.
      const inv = await publishedInvoice(m);
      let done1 = false;
      const oneShot = cli(['collect', '--invoice', String(inv.id), '--phone', msisdn('001'), '--wait', '--json'], { xdg }).finally(() => (done1 = true));
      while (!done1) {
        await new Promise((r) => setTimeout(r, 200));
        await settleAfter(h, 2_000);
      }
      assert.equal(json(await oneShot).status, 'COMPLETED');

      const declined = await collectJson('010');
      let done2 = false;
      const waiting2 = cli(['wait', 'collection', declined.reference_id, '--interval', '100ms', '--json'], { xdg }).finally(() => (done2 = true));
      while (!done2) {
        await settleAfter(h, 5_000);
        await new Promise((r) => setTimeout(r, 50));
      }
      const w2 = await waiting2;
      assert.equal(w2.code, 3, w2.stderr);
      assert.equal(JSON.parse(w2.stdout).status, 'FAILED');

      const silent = await collectJson('060');
      const w3 = await cli(['wait', 'collection', silent.reference_id, '--timeout', '1s', '--interval', '200ms'], { xdg });
      assert.equal(w3.code, 4);
      assert.match(w3.stderr, /still PROCESSING after 1s/);
    });

    it('payout takes the passcode by flag (no terminal to ask on) and refuses a wrong one with the server’s reason', async () => {
      const m = await h.merchant();
      const xdg = await login(m);
      const phone = msisdn('000');
      const ok = await cli(['payout', '--phone', phone, '--amount', '12.50', '--currency', 'USD', '--passcode', m.passcode, '--json'], { xdg });
      const body = json(ok);
      assert.equal(body.status, 'COMPLETED');
      assert.equal(body.operation_type, 'PAYOUT');
      assert.equal(body.payee_amount, 12.5);

      const wrong = await cli(['payout', '--phone', phone, '--amount', '1', '--currency', 'USD', '--passcode', '000000'], { xdg });
      assert.equal(wrong.code, 1);
      assert.match(wrong.stdout, /^reference_id /);
      assert.match(wrong.stderr, /\(403\)/);
      assert.match(wrong.stderr, /reference_id [0-9a-f-]{36} — check it with `dollr status <operation>/);

      const noPasscode = await cli(['payout', '--phone', phone, '--amount', '1', '--currency', 'USD'], { xdg });
      assert.equal(noPasscode.code, 2);
      assert.match(noPasscode.stderr, /--passcode is required/);
    });
  });
}
