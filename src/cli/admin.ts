/**
 * Operator CLI: `npm run admin -- <command> [options]`. Works on the same database the server
 * uses (DATABASE_URL, or the embedded one under DATA_DIR — stop the server first: an embedded
 * database belongs to one process at a time).
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { checkInvariants } from '../ledger/invariants.js';
import { DomainError } from '../domain/errors.js';
import { openServices } from '../server.js';
import { createMerchant, fundSandboxWallet, issueApiKey, MERCHANT_TYPES, type MerchantType, revokeApiKey, setPasscode, setVerification, VERIFICATION_STATUSES, type VerificationStatus } from '../services/merchants.js';
import type { Services } from '../services/index.js';
import { listApiKeys, listMerchants } from '../store/merchants.js';
import { assignTier, createTier, listFees, listFx, makeDefaultTier, setFxRate, setGatewayFee, setTierRate } from '../services/fee-admin.js';
import { acquireDataDirLock } from '../store/data-dir-lock.js';

export interface Command {
  usage: string;
  options?: Record<string, { type: 'string' | 'boolean'; short?: string }>;
  run(services: Services, positionals: string[], values: Record<string, string | boolean | undefined>): Promise<unknown>;
}

function need(values: Record<string, unknown>, name: string): string {
  const v = values[name];
  if (typeof v !== 'string' || v === '') throw new Error(`--${name} is required`);
  return v;
}

function idArg(positionals: string[], index: number, what: string): number {
  const raw = positionals[index];
  if (!raw || !/^\d+$/.test(raw)) throw new Error(`${what} (a number) is required`);
  return Number(raw);
}

export const commands: Record<string, Command> = {
  'merchant:create': {
    usage: 'merchant:create --name NAME --type ORGANIZATION|MICRO_ORGANIZATION --email EMAIL --phone DIGITS [--verified] [--sandbox]',
    options: { name: { type: 'string' }, type: { type: 'string' }, email: { type: 'string' }, phone: { type: 'string' }, verified: { type: 'boolean' }, sandbox: { type: 'boolean' } },
    async run(s, _p, v) {
      const type = (v.type as string | undefined) ?? 'ORGANIZATION';
      if (!MERCHANT_TYPES.includes(type as MerchantType)) throw new Error(`--type must be one of ${MERCHANT_TYPES.join(', ')}`);
      const m = await createMerchant(s.ctx, {
        name: need(v, 'name'),
        type: type as MerchantType,
        email: need(v, 'email'),
        phone: need(v, 'phone'),
        verification_status: v.verified ? 'VERIFIED' : 'PENDING',
        is_sandbox: Boolean(v.sandbox),
      });
      return { id: m.id, name: m.name, type: m.type, verification_status: m.verification_status, is_sandbox: m.is_sandbox };
    },
  },
  'merchant:list': {
    usage: 'merchant:list',
    async run(s) {
      return (await listMerchants(s.ctx.database.db, 1000)).map((m) => ({ id: m.id, name: m.name, type: m.type, verification_status: m.verification_status, is_sandbox: m.is_sandbox }));
    },
  },
  'merchant:verify': {
    usage: 'merchant:verify MERCHANT_ID [--status VERIFIED|PENDING|REJECTED]   (default VERIFIED)',
    options: { status: { type: 'string' } },
    async run(s, p, v) {
      const status = ((v.status as string | undefined) ?? 'VERIFIED') as VerificationStatus;
      if (!VERIFICATION_STATUSES.includes(status)) throw new Error(`--status must be one of ${VERIFICATION_STATUSES.join(', ')}`);
      const m = await setVerification(s.ctx, idArg(p, 0, 'MERCHANT_ID'), status);
      return { id: m.id, verification_status: m.verification_status };
    },
  },
  'merchant:unverify': {
    usage: 'merchant:unverify MERCHANT_ID',
    async run(s, p) {
      const m = await setVerification(s.ctx, idArg(p, 0, 'MERCHANT_ID'), 'PENDING');
      return { id: m.id, verification_status: m.verification_status };
    },
  },
  'key:create': {
    usage: 'key:create MERCHANT_ID [--label TEXT]   (prints the secret once)',
    options: { label: { type: 'string' } },
    async run(s, p, v) {
      return issueApiKey(s.ctx, idArg(p, 0, 'MERCHANT_ID'), { label: (v.label as string | undefined) ?? '' });
    },
  },
  'key:list': {
    usage: 'key:list MERCHANT_ID',
    async run(s, p) {
      return (await listApiKeys(s.ctx.database.db, idArg(p, 0, 'MERCHANT_ID'))).map((k) => ({
        client_id: k.client_id,
        label: k.label,
        created_at: k.created_at,
        revoked_at: k.revoked_at,
      }));
    },
  },
  'key:revoke': {
    usage: 'key:revoke CLIENT_ID',
    async run(s, p) {
      if (!p[0]) throw new Error('CLIENT_ID is required');
      const k = await revokeApiKey(s.ctx, p[0]);
      return { client_id: k.client_id, revoked_at: k.revoked_at };
    },
  },
  'passcode:set': {
    usage: 'passcode:set MERCHANT_ID --code DIGITS --phone DIGITS',
    options: { code: { type: 'string' }, phone: { type: 'string' } },
    async run(s, p, v) {
      const id = idArg(p, 0, 'MERCHANT_ID');
      await setPasscode(s.ctx, id, need(v, 'code'), need(v, 'phone'));
      return { merchant_id: id, passcode: 'set', phone: v.phone };
    },
  },
  'sandbox:fund': {
    usage: 'sandbox:fund MERCHANT_ID --currency USD --amount 500.00   (sandbox merchants only)',
    options: { currency: { type: 'string' }, amount: { type: 'string' } },
    async run(s, p, v) {
      const id = idArg(p, 0, 'MERCHANT_ID');
      await fundSandboxWallet(s.ctx, id, need(v, 'currency'), need(v, 'amount'));
      return { merchant_id: id, funded: `${v.amount} ${v.currency}` };
    },
  },
  'fees:gateway:set': {
    usage: 'fees:gateway:set --provider PAWAPAY|STRIPE|PLATFORM --method METHOD --operation OP --percent 2.9 [--fixed 0.30 --fixed-currency USD] [--from ISO]',
    options: { provider: { type: 'string' }, method: { type: 'string' }, operation: { type: 'string' }, percent: { type: 'string' }, fixed: { type: 'string' }, 'fixed-currency': { type: 'string' }, from: { type: 'string' } },
    async run(s, _p, v) {
      return setGatewayFee(s.ctx, {
        provider: need(v, 'provider'),
        method: need(v, 'method'),
        operation: need(v, 'operation'),
        percent: need(v, 'percent'),
        amount: v.fixed as string | undefined,
        currency: v['fixed-currency'] as string | undefined,
        from: v.from as string | undefined,
      });
    },
  },
  'fees:tier:create': {
    usage: 'fees:tier:create NAME [--default]',
    options: { default: { type: 'boolean' } },
    async run(s, p, v) {
      if (!p[0]) throw new Error('NAME is required');
      return createTier(s.ctx, p[0], { is_default: Boolean(v.default) });
    },
  },
  'fees:tier:default': {
    usage: 'fees:tier:default NAME   (owners without an assignment are priced on it)',
    async run(s, p) {
      if (!p[0]) throw new Error('NAME is required');
      return makeDefaultTier(s.ctx, p[0]);
    },
  },
  'fees:tier:rate:set': {
    usage: 'fees:tier:rate:set --tier NAME --operation OP [--method METHOD] --percent 1.5 --fx-percent 2 [--fixed 0.10 --fixed-currency USD] [--from ISO]',
    options: { tier: { type: 'string' }, operation: { type: 'string' }, method: { type: 'string' }, percent: { type: 'string' }, 'fx-percent': { type: 'string' }, fixed: { type: 'string' }, 'fixed-currency': { type: 'string' }, from: { type: 'string' } },
    async run(s, _p, v) {
      return setTierRate(s.ctx, {
        tier: need(v, 'tier'),
        operation: need(v, 'operation'),
        method: v.method as string | undefined,
        percent: need(v, 'percent'),
        fx_percent: need(v, 'fx-percent'),
        amount: v.fixed as string | undefined,
        currency: v['fixed-currency'] as string | undefined,
        from: v.from as string | undefined,
      });
    },
  },
  'fees:tier:assign': {
    usage: 'fees:tier:assign MERCHANT_ID --tier NAME',
    options: { tier: { type: 'string' } },
    async run(s, p, v) {
      return assignTier(s.ctx, idArg(p, 0, 'MERCHANT_ID'), need(v, 'tier'));
    },
  },
  'fees:list': {
    usage: 'fees:list   (gateway fees and platform rates in force now)',
    async run(s) {
      return listFees(s.ctx);
    },
  },
  'fx:set': {
    usage: 'fx:set --base USD --quote LRD --rate 190.25 [--from ISO]',
    options: { base: { type: 'string' }, quote: { type: 'string' }, rate: { type: 'string' }, from: { type: 'string' } },
    async run(s, _p, v) {
      return setFxRate(s.ctx, { base: need(v, 'base'), quote: need(v, 'quote'), rate: need(v, 'rate'), from: v.from as string | undefined });
    },
  },
  'fx:list': {
    usage: 'fx:list   (current rate of each stored pair, and scheduled ones)',
    async run(s) {
      return listFx(s.ctx);
    },
  },
  'ledger:check': {
    usage: 'ledger:check   (exit code 1 when an invariant is broken)',
    async run(s) {
      const violations = await checkInvariants(s.ctx.database);
      if (violations.length) {
        process.exitCode = 1;
        return { ok: false, violations };
      }
      return { ok: true };
    },
  },
};

function help(): string {
  return ['usage: npm run admin -- <command> [options]', '', ...Object.values(commands).map((c) => `  ${c.usage}`)].join('\n');
}

async function main(argv: string[]) {
  const [name, ...rest] = argv;
  const command = name ? commands[name] : undefined;
  if (!command) {
    process.stdout.write(help() + '\n');
    process.exitCode = name && name !== 'help' && name !== '--help' ? 2 : 0;
    return;
  }
  const { values, positionals } = parseArgs({ args: rest, options: command.options ?? {}, allowPositionals: true, strict: true });
  const config = loadConfig({ ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' });
  const release = config.database_url ? () => {} : acquireDataDirLock(config.data_dir, 'admin CLI');
  const services = await openServices(config);
  try {
    const out = await command.run(services, positionals, values as Record<string, string | boolean | undefined>);
    process.stdout.write(JSON.stringify(out, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2) + '\n');
  } finally {
    await services.hub.close();
    await services.ctx.database.close();
    release();
  }
}

main(process.argv.slice(2)).catch((err) => {
  const msg = err instanceof DomainError ? (typeof err.detail === 'string' ? err.detail : err.detail.map((d) => `${d.loc.join('.')}: ${d.msg}`).join('; ')) : err instanceof Error ? err.message : String(err);
  process.stderr.write(`error: ${msg}\n`);
  process.exitCode = 1;
});
