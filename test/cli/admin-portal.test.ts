/**
 * The portal-user commands of the admin CLI, run as an operator would (a child process on its own
 * database: the suite's PostgreSQL, or an embedded directory), and the sandbox bootstrap's portal and operator users.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type AdminCli, adminCli } from '../helpers/admin-cli.js';
import { ManualClock } from '../../src/clock.js';
import { openServices } from '../../src/server.js';
import { signIn } from '../../src/services/portal-auth.js';
import { bootstrapSandbox } from '../../src/services/sandbox.js';
import { createMerchant } from '../../src/services/merchants.js';
import { testConfig } from '../helpers/server.js';

describe('admin CLI: portal users', () => {
  let cli: AdminCli;
  const admin = (...args: string[]) => cli.run(...args);
  before(async () => {
    cli = await adminCli('portal');
  });
  after(() => cli.close());

  it('creates a merchant portal user and an operator; refuses a taken email', async () => {
    // The merchant is made in-process (each CLI run is a slow child process); the CLI then runs on the same directory.
    const services = await openServices(testConfig(cli.env));
    const id = String((await createMerchant(services.ctx, { name: 'Shop', type: 'ORGANIZATION', email: 'shop@example.test', phone: '231770000009' })).id);
    await services.hub.close();
    await services.ctx.database.close();
    const owner = await admin('portal:user:create', id, '--email', 'owner@example.test', '--password', 'a long password');
    assert.equal(owner.code, 0, owner.err);
    assert.deepEqual(JSON.parse(owner.out), { id: 1, email: 'owner@example.test', role: 'owner', merchant_id: Number(id) });
    const op = await admin('operator:create', '--email', 'ops@example.test', '--password', 'another long password');
    assert.equal(op.code, 0, op.err);
    assert.equal(JSON.parse(op.out).role, 'operator');
    const taken = await admin('operator:create', '--email', 'OWNER@example.test', '--password', 'another long password');
    assert.equal(taken.code, 1);
    assert.match(taken.err, /already exists/);
  });

  it('the sandbox bootstrap creates a portal user and an operator with the configured credentials', async () => {
    const config = testConfig({ DOLLR_SANDBOX_PORTAL_PASSWORD: 'sandbox portal pw', DOLLR_SANDBOX_OPERATOR_EMAIL: 'ops@sandbox.test' });
    const services = await openServices({ ...config, data_dir: 'memory://' }, { clock: new ManualClock() });
    try {
      const creds = await bootstrapSandbox(services.ctx);
      assert.ok(creds);
      assert.deepEqual(creds.portal, { email: 'owner@sandbox.test', password: 'sandbox portal pw' });
      assert.equal(creds.operator.email, 'ops@sandbox.test');
      assert.ok(creds.operator.password.length >= 10, 'a random password when none is configured');
      assert.equal((await signIn(services.ctx, creds.portal.email, creds.portal.password)).user.merchant_id, creds.merchant_id);
      assert.equal((await signIn(services.ctx, creds.operator.email, creds.operator.password)).user.role, 'operator');
    } finally {
      await services.hub.close();
      await services.ctx.database.close();
    }
  });
});
