#!/usr/bin/env node
/**
 * dollr — the command line for a Dollr-compatible server, on the SDK. Every command takes --json
 * for machine-readable output. Exit codes: 0 done (COMPLETED), 1 error, 2 usage, 3 FAILED,
 * 4 timed out while still PENDING/PROCESSING.
 */
import { networkInterfaces } from 'node:os';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { DollrClient, SDK_VERSION } from '../client.js';
import { DollrTimeoutError } from '../errors.js';
import { OPERATIONS, type ExecutionResponse, type Operation } from '../types.js';
import { isFinal, type WaitOptions } from '../wait.js';
import { type CliConfig, configPath, readConfig, writeConfig } from './config.js';
import { EXIT, fmtAmount, type Out, printExecution, printFields, printJson, printObject, printTable, reportError, UsageError } from './output.js';
import { ask } from './prompt.js';

const HELP = `dollr ${SDK_VERSION} — command line for the Dollr v1 Open API

  dollr login [--base-url URL] [--client-id ID] [--client-secret SECRET] [--passcode-phone DIGITS]
  dollr invoice create --counterparty-id N --currency CUR [--note TEXT] [--fee-bearer PAYER|PAYEE]
                       [--due-date ISO] [--reference-id TEXT] [--no-payment-link]
  dollr invoice items add <invoice_id> --name TEXT --amount DECIMAL [--qty N] [--currency CUR]
  dollr invoice publish <invoice_id>
  dollr invoice show <invoice_id>
  dollr collect (--invoice ID | --order ID) --phone MSISDN [--currency CUR] [--party-id N]
                [--method M --provider P] [--reference-id UUID] [--wait] [--timeout 10m]
  dollr payout (--phone MSISDN | --account-id N) --amount DECIMAL --currency CUR [--party-id N]
               [--passcode CODE] [--passcode-phone DIGITS] [--reference-id UUID] [--wait]
  dollr status <collection|payout|transfer|refund> <reference_id>
  dollr wait <collection|payout|transfer|refund> <reference_id> [--timeout 10m] [--interval 1s]
  dollr wallets

Every command: --json (machine-readable output), --base-url URL (instead of the stored one).
Credentials: \`dollr login\` stores them in ${'$'}XDG_CONFIG_HOME/dollr/config.json (or ~/.config/dollr),
mode 0600; DOLLR_BASE_URL, DOLLR_CLIENT_ID, DOLLR_CLIENT_SECRET override it.
Exit codes: 0 done, 1 error, 2 usage, 3 the payment FAILED, 4 timed out while still in progress.
`;

type Options = NonNullable<ParseArgsConfig['options']>;
const COMMON: Options = { help: { type: 'boolean', short: 'h' } };

interface Ctx {
  out: Out;
  env: NodeJS.ProcessEnv;
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/** The command's flags and positionals, on top of the global ones (--json, --base-url). */
function parse(c: Ctx, argv: string[], options: Options): Ctx {
  try {
    const r = parseArgs({ args: argv, options: { ...COMMON, ...options }, allowPositionals: true, strict: true });
    return { ...c, values: { ...c.values, ...(r.values as Record<string, string | boolean | undefined>) }, positionals: r.positionals };
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** Take the global flags out wherever they stand: `dollr --json wallets` and `dollr wallets --json` alike. */
export function globalFlags(argv: string[]): { json: boolean; baseUrl: string | undefined; rest: string[] } {
  let json = false;
  let baseUrl: string | undefined;
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    if (a === '--json') json = true;
    else if (a.startsWith('--base-url=')) baseUrl = a.slice('--base-url='.length);
    else if (a === '--base-url') {
      baseUrl = argv[++i];
      if (baseUrl === undefined) throw new UsageError('--base-url needs a value');
    } else rest.push(a);
  }
  return { json, baseUrl, rest };
}

const str = (c: Ctx, name: string): string | undefined => c.values[name] as string | undefined;
function need(c: Ctx, name: string): string {
  const v = str(c, name);
  if (v === undefined || v === '') throw new UsageError(`--${name} is required`);
  return v;
}
function int(c: Ctx, name: string, v = str(c, name)): number | undefined {
  if (v === undefined) return undefined;
  if (!/^[1-9][0-9]{0,15}$/.test(v)) throw new UsageError(`--${name} must be a positive whole number, not "${v}"`);
  return Number(v);
}
function positionalId(c: Ctx, index: number, what: string): number {
  const v = c.positionals[index];
  if (v === undefined) throw new UsageError(`${what} is missing`);
  return int(c, what, v)!;
}

/**
 * An amount typed by a person, sent as the JSON number it spells: only plain decimals whose
 * shortest double representation is the same text, so nothing is rounded on the way.
 */
export function parseAmount(text: string): number {
  if (!/^(0|[1-9][0-9]*)(\.[0-9]+)?$/.test(text)) throw new UsageError(`--amount must be a plain decimal like 19.99, not "${text}"`);
  const n = Number(text);
  const canonical = text.includes('.') ? text.replace(/0+$/, '').replace(/\.$/, '') : text;
  if (String(n) !== canonical) throw new UsageError(`--amount ${text} has more digits than a JSON number carries exactly`);
  return n;
}

export function parseDuration(text: string, name: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new UsageError(`--${name} must be a duration like 500ms, 30s, 10m or 1h, not "${text}"`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  return Math.round(Number(m[1]) * unit);
}

function operation(c: Ctx): Operation {
  const op = c.positionals[0];
  if (!op || !(OPERATIONS as readonly string[]).includes(op)) throw new UsageError(`the operation must be one of ${OPERATIONS.join(', ')}`);
  return op as Operation;
}

async function client(c: Ctx): Promise<DollrClient> {
  const path = configPath(c.env);
  const stored = await readConfig(path);
  const baseUrl = str(c, 'base-url') ?? c.env.DOLLR_BASE_URL ?? stored?.base_url;
  const clientId = c.env.DOLLR_CLIENT_ID ?? stored?.client_id;
  const clientSecret = c.env.DOLLR_CLIENT_SECRET ?? stored?.client_secret;
  if (!baseUrl || !clientId || !clientSecret) throw new UsageError(`not logged in: run \`dollr login\` (looked for ${path})`);
  return new DollrClient({ baseUrl, clientId, clientSecret, userAgent: `dollr-cli/${SDK_VERSION} node/${process.versions.node}` });
}

// ---- commands ----

async function login(c: Ctx): Promise<number> {
  const path = configPath(c.env);
  const stored = await readConfig(path).catch(() => undefined);
  const interactive = Boolean((process.stdin as { isTTY?: boolean }).isTTY);
  const value = async (flag: string, question: string, fallback: string | undefined, hidden = false) => {
    const v = str(c, flag);
    if (v) return v;
    if (!interactive && fallback) return fallback;
    if (!interactive) throw new UsageError(`--${flag} is required (no terminal to ask on)`);
    const answer = await ask(fallback && !hidden ? `${question} [${fallback}]: ` : `${question}: `, { hidden });
    return answer || fallback || '';
  };
  const base_url = await value('base-url', 'Base URL', stored?.base_url ?? 'http://localhost:8000');
  const client_id = await value('client-id', 'Client ID', stored?.client_id);
  const client_secret = await value('client-secret', 'Client secret', undefined, true);
  if (!client_id || !client_secret) throw new UsageError('client id and secret are required');
  const passcode_phone = str(c, 'passcode-phone') ?? stored?.passcode_phone;
  // Check the credentials before storing them: a typo is reported now, not at the first payment.
  const probe = new DollrClient({ baseUrl: base_url, clientId: client_id, clientSecret: client_secret, retry: { attempts_max: 2 } });
  const token = await probe.obtainToken();
  const config: CliConfig = { base_url, client_id, client_secret, ...(passcode_phone ? { passcode_phone } : {}) };
  await writeConfig(path, config);
  if (c.out.json) printJson(c.out, { config_path: path, base_url, client_id, token_expires_in_minutes: token.expires_in });
  else c.out.stdout.write(`Logged in to ${base_url} as ${client_id}. Credentials saved to ${path} (mode 0600).\n`);
  return EXIT.ok;
}

async function invoice(c: Ctx, argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  // (global flags were taken out already; what is left is the sub-command and its own flags)
  if (sub === 'create') {
    const a = parse(c, rest, {
      'counterparty-id': { type: 'string' }, currency: { type: 'string' }, note: { type: 'string' }, 'fee-bearer': { type: 'string' },
      'due-date': { type: 'string' }, 'reference-id': { type: 'string' }, 'no-payment-link': { type: 'boolean' },
    });
    const feeBearer = (str(a, 'fee-bearer') ?? 'PAYER').toUpperCase();
    if (feeBearer !== 'PAYER' && feeBearer !== 'PAYEE') throw new UsageError('--fee-bearer must be PAYER or PAYEE');
    const inv = await (await client(a)).invoices.create({
      counterparty_id: int(a, 'counterparty-id', need(a, 'counterparty-id'))!,
      currency: need(a, 'currency').toUpperCase(),
      note: str(a, 'note') ?? '',
      fee_bearer: feeBearer,
      as_payment_link: !a.values['no-payment-link'],
      ...(str(a, 'due-date') ? { due_date: str(a, 'due-date') } : {}),
      ...(str(a, 'reference-id') ? { reference_id: str(a, 'reference-id') } : {}),
    });
    if (a.out.json) printJson(a.out, inv);
    else printFields(a.out, [['id', inv.id], ['invoice_number', inv.invoice_number], ['status', inv.status], ['total_amount', fmtAmount(inv.total_amount, inv.currency)]]);
    return EXIT.ok;
  }
  if (sub === 'items' && argv[1] === 'add') {
    const a = parse(c, argv.slice(2), { name: { type: 'string' }, amount: { type: 'string' }, qty: { type: 'string' }, currency: { type: 'string' } });
    const id = positionalId(a, 0, 'invoice_id');
    const dollr = await client(a);
    const currency = str(a, 'currency')?.toUpperCase() ?? (await dollr.invoices.retrieve(id)).currency;
    const item = await dollr.invoices.items.add(id, { name: need(a, 'name'), amount: parseAmount(need(a, 'amount')), qty: int(a, 'qty') ?? 1, currency });
    printObject(a.out, item as unknown as Record<string, unknown>);
    return EXIT.ok;
  }
  if (sub === 'publish' || sub === 'show') {
    const a = parse(c, rest, {});
    const id = positionalId(a, 0, 'invoice_id');
    const dollr = await client(a);
    const inv = sub === 'publish' ? await dollr.invoices.publish(id) : await dollr.invoices.retrieve(id);
    if (a.out.json) printJson(a.out, inv);
    else printFields(a.out, [['id', inv.id], ['invoice_number', inv.invoice_number], ['status', inv.status], ['total_amount', fmtAmount(inv.total_amount, inv.currency)]]);
    return EXIT.ok;
  }
  throw new UsageError('invoice needs one of: create, items add, publish, show');
}

/** Announce the reference_id before the request: if anything dies now, this is what to ask status with. */
function announce(c: Ctx, op: Operation) {
  return (reference_id: string) => {
    if (c.out.json) c.out.stderr.write(`${JSON.stringify({ reference_id })}\n`);
    else c.out.stdout.write(`reference_id ${reference_id}   (if this stops early: dollr status ${op} ${reference_id})\n`);
  };
}

/** The party to attach a new payment account to: given, the source's, or a new one for the phone. */
async function partyFor(c: Ctx, dollr: DollrClient, phone: string, counterparty_id: number | null | undefined): Promise<number> {
  const given = int(c, 'party-id');
  if (given) return given;
  if (counterparty_id) {
    const cp = await dollr.counterparties.retrieve(counterparty_id);
    if (cp.party_id) return cp.party_id;
  }
  return (await dollr.parties.create({ fullname: str(c, 'name') ?? phone, phone })).id;
}

async function methodFor(c: Ctx, dollr: DollrClient, phone: string, operation_type: 'COLLECTION' | 'PAYOUT') {
  const method = str(c, 'method');
  const provider = str(c, 'provider');
  if (method && provider) return { method, provider };
  const info = await dollr.predictions.mmoProviderInfo({ phone, operation_type });
  return { method: method ?? info.payment_method, provider: provider ?? info.gateway_provider };
}

async function finish(c: Ctx, dollr: DollrClient, op: Operation, e: ExecutionResponse, realtime?: WaitOptions['realtime']): Promise<number> {
  if (c.values.wait && !isFinal(e)) return waitAndReport(c, dollr, op, e.reference_id, realtime);
  printExecution(c.out, e);
  return e.status === 'FAILED' ? EXIT.failed : EXIT.ok;
}

const MONEY_FLAGS: Options = {
  phone: { type: 'string' }, currency: { type: 'string' }, 'party-id': { type: 'string' }, name: { type: 'string' },
  method: { type: 'string' }, provider: { type: 'string' }, 'reference-id': { type: 'string' },
  wait: { type: 'boolean' }, timeout: { type: 'string' }, interval: { type: 'string' },
};

async function collect(c: Ctx, argv: string[]): Promise<number> {
  const a = parse(c, argv, { ...MONEY_FLAGS, invoice: { type: 'string' }, order: { type: 'string' } });
  const invoiceId = int(a, 'invoice');
  const orderId = int(a, 'order');
  if (!invoiceId === !orderId) throw new UsageError('give exactly one of --invoice ID or --order ID');
  const phone = need(a, 'phone');
  const dollr = await client(a);
  const source = invoiceId ? await dollr.invoices.retrieve(invoiceId) : await dollr.orders.retrieve(orderId!);
  const source_type = invoiceId ? 'INVOICE' : 'ORDER';
  const session = await dollr.sessions.checkout({ source_id: source.id, source_type });
  const { method, provider } = await methodFor(a, dollr, phone, 'COLLECTION');
  const account = await dollr.paymentAccounts.create('COLLECTION', {
    account_name: str(a, 'name') ?? `MoMo ${phone}`,
    method: method as never,
    provider: provider as never,
    party_id: await partyFor(a, dollr, phone, source.counterparty_id),
    insensitive_account_number: phone,
  });
  const e = await dollr.executions.collection(
    { session_id: session.id, payment_account_id: account.id, currency: str(a, 'currency')?.toUpperCase() ?? source.currency, ...(str(a, 'reference-id') ? { reference_id: str(a, 'reference-id') } : {}) },
    { onReferenceId: announce(a, 'collection') },
  );
  return finish(a, dollr, 'collection', e, { session_id: session.id, source_type });
}

function clientIp(): string {
  for (const list of Object.values(networkInterfaces())) for (const i of list ?? []) if (i.family === 'IPv4' && !i.internal) return i.address;
  return '127.0.0.1';
}

async function payout(c: Ctx, argv: string[]): Promise<number> {
  const a = parse(c, argv, { ...MONEY_FLAGS, 'account-id': { type: 'string' }, amount: { type: 'string' }, passcode: { type: 'string' }, 'passcode-phone': { type: 'string' } });
  const amount = parseAmount(need(a, 'amount'));
  const currency = need(a, 'currency').toUpperCase();
  let accountId = int(a, 'account-id');
  const phone = str(a, 'phone');
  if (!accountId === !phone) throw new UsageError('give exactly one of --account-id N or --phone MSISDN');
  const stored = await readConfig(configPath(a.env));
  const passcodePhone = str(a, 'passcode-phone') ?? stored?.passcode_phone;
  if (!passcodePhone) throw new UsageError('--passcode-phone is required (or store it with `dollr login --passcode-phone DIGITS`)');
  let code = str(a, 'passcode');
  if (!code) {
    if (!(process.stdin as { isTTY?: boolean }).isTTY) throw new UsageError('--passcode is required (no terminal to ask on)');
    code = await ask('Payout passcode: ', { hidden: true });
  }
  const dollr = await client(a);
  if (!accountId) {
    const { method, provider } = await methodFor(a, dollr, phone!, 'PAYOUT');
    const account = await dollr.paymentAccounts.create('PAYOUT', {
      account_name: str(a, 'name') ?? `MoMo ${phone}`,
      method: method as never,
      provider: provider as never,
      party_id: await partyFor(a, dollr, phone!, undefined),
      insensitive_account_number: phone!,
    });
    accountId = account.id;
  }
  const session = await dollr.sessions.payout({ payout_account_id: accountId, amount, currency });
  const e = await dollr.executions.payout(
    {
      session_id: session.id,
      payout_account_id: accountId,
      passcode: {
        token: { code, phone: passcodePhone },
        device: { name: 'dollr-cli', type: 'SERVER', platform: 'NODE', user_agent: `dollr-cli/${SDK_VERSION} node/${process.versions.node}`, client_ip: clientIp() },
      },
      ...(str(a, 'reference-id') ? { reference_id: str(a, 'reference-id') } : {}),
    },
    { onReferenceId: announce(a, 'payout') },
  );
  return finish(a, dollr, 'payout', e);
}

async function status(c: Ctx, argv: string[]): Promise<number> {
  const a = parse(c, argv, {});
  const op = operation(a);
  const ref = a.positionals[1];
  if (!ref) throw new UsageError('the reference_id is missing');
  const e = await (await client(a)).status.get(op, ref);
  printExecution(a.out, e);
  return e.status === 'FAILED' ? EXIT.failed : EXIT.ok;
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** Wait with a progress display on stderr (a spinner on a terminal, a line per change otherwise). */
async function waitAndReport(c: Ctx, dollr: DollrClient, op: Operation, reference_id: string, realtime?: WaitOptions['realtime']): Promise<number> {
  const timeoutMs = parseDuration(str(c, 'timeout') ?? '10m', 'timeout');
  const interval = str(c, 'interval') ? parseDuration(str(c, 'interval')!, 'interval') : undefined;
  const started = Date.now();
  let current = 'waiting';
  const tty = Boolean(c.out.stderr.isTTY) && !c.out.json;
  let frame = 0;
  const ticker = tty
    ? setInterval(() => c.out.stderr.write(`\r${SPINNER[frame++ % SPINNER.length]} ${current} ${Math.round((Date.now() - started) / 1000)}s `), 100)
    : undefined;
  try {
    const e = await dollr.waitForFinal(op, reference_id, {
      timeoutMs,
      ...(realtime ? { realtime } : {}),
      ...(interval ? { pollInitialMs: interval, pollMaxMs: Math.max(interval, 1000) } : {}),
      onUpdate: (u) => {
        current = u.status;
        if (!tty && !c.out.json) c.out.stderr.write(`${u.status} after ${Math.round((Date.now() - started) / 1000)}s\n`);
      },
    });
    if (tty) c.out.stderr.write('\r\x1b[K');
    printExecution(c.out, e);
    return e.status === 'COMPLETED' ? EXIT.ok : EXIT.failed;
  } catch (err) {
    if (tty) c.out.stderr.write('\r\x1b[K');
    if (err instanceof DollrTimeoutError) {
      const last = err.last as ExecutionResponse | undefined;
      if (c.out.json) c.out.stderr.write(`${JSON.stringify({ error: { type: 'timeout', message: err.message, last: last ?? null } })}\n`);
      else c.out.stderr.write(`dollr: still ${last?.status ?? 'unknown'} after ${Math.round(timeoutMs / 1000)}s; it may yet finish — run \`dollr wait ${op} ${reference_id}\` again.\n`);
      return EXIT.timeout;
    }
    throw err;
  } finally {
    if (ticker) clearInterval(ticker);
  }
}

async function wait(c: Ctx, argv: string[]): Promise<number> {
  const a = parse(c, argv, { timeout: { type: 'string' }, interval: { type: 'string' } });
  const op = operation(a);
  const ref = a.positionals[1];
  if (!ref) throw new UsageError('the reference_id is missing');
  return waitAndReport(a, await client(a), op, ref);
}

async function wallets(c: Ctx, argv: string[]): Promise<number> {
  const a = parse(c, argv, {});
  const list = await (await client(a)).wallets.list();
  if (a.out.json) printJson(a.out, list);
  else printTable(a.out, ['id', 'currency', 'available', 'pending', 'status'], list.map((w) => [
    String(w.id), w.currency, fmtAmount(w.available_balance, w.currency), fmtAmount(w.pending_balance, w.currency), String((w as { status?: string }).status ?? ''),
  ]));
  return EXIT.ok;
}

export async function run(argv: string[], env: NodeJS.ProcessEnv = process.env, io: Partial<Out> = {}): Promise<number> {
  const out: Out = { json: argv.includes('--json'), stdout: io.stdout ?? process.stdout, stderr: io.stderr ?? process.stderr };
  try {
    const { baseUrl, rest: args } = globalFlags(argv);
    const [command, ...rest] = args;
    if (!command || command === 'help' || command === '--help' || command === '-h') {
      out.stdout.write(HELP);
      return command ? EXIT.ok : EXIT.usage;
    }
    if (command === '--version' || command === 'version') {
      out.stdout.write(`${SDK_VERSION}\n`);
      return EXIT.ok;
    }
    if (rest.includes('--help') || rest.includes('-h')) {
      out.stdout.write(HELP);
      return EXIT.ok;
    }
    const base: Ctx = { out, env, values: { 'base-url': baseUrl }, positionals: [] };
    switch (command) {
      case 'login': {
        return await login(parse(base, rest, { 'client-id': { type: 'string' }, 'client-secret': { type: 'string' }, 'passcode-phone': { type: 'string' } }));
      }
      case 'invoice':
        return await invoice(base, rest);
      case 'collect':
        return await collect(base, rest);
      case 'payout':
        return await payout(base, rest);
      case 'status':
        return await status(base, rest);
      case 'wait':
        return await wait(base, rest);
      case 'wallets':
        return await wallets(base, rest);
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (err) {
    return reportError(out, err);
  }
}

// Run when executed as the bin (not when imported by tests).
const invokedAs = process.argv[1] ?? '';
if (/(?:^|[\\/])(?:main\.(?:js|ts)|dollr)$/.test(invokedAs)) {
  run(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      console.error(err);
      process.exitCode = EXIT.error;
    },
  );
}
