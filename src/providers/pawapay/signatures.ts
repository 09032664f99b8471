/**
 * HTTP Message Signatures (RFC 9421) and Content-Digest (RFC 9530), the subset pawaPay uses to
 * sign callbacks (docs.pawapay.io/v2/docs/signatures): a `Signature-Input`/`Signature` pair whose
 * covered components include `content-digest`, so the body is bound to the signature.
 *
 * Verification is what the server needs; signing is here too so the simulator signs exactly what
 * the verifier reads. The verifier is also checked against RFC 9421's own test vector (B.2.6), so
 * the two cannot agree on a mistake unnoticed.
 *
 * Algorithms: the four pawaPay accepts (ecdsa-p256-sha256, ecdsa-p384-sha384, rsa-pss-sha512,
 * rsa-v1_5-sha256) and ed25519. ECDSA signatures are accepted in RFC 9421's raw r‖s form and in
 * DER, which is what pawaPay's published Node signing sample produces (inferred: the docs do not
 * say which pawaPay itself sends).
 */
import { constants, createHash, type KeyObject, sign as cryptoSign, timingSafeEqual, verify as cryptoVerify } from 'node:crypto';

export const SIGNATURE_ALGORITHMS = ['ecdsa-p256-sha256', 'ecdsa-p384-sha384', 'rsa-pss-sha512', 'rsa-v1_5-sha256', 'ed25519'] as const;
export type SignatureAlgorithm = (typeof SIGNATURE_ALGORITHMS)[number];

const HEADER_LENGTH_MAX = 8 * 1024;
const SIGNATURES_MAX = 8;
const COMPONENTS_MAX = 32;
/** A signature created further in the future than this is refused (clock skew allowance). */
const CREATED_SKEW_S = 300;

export type HeaderMap = Record<string, string | string[] | undefined>;

/** What a signature can cover of a request: its derived components and its header fields. */
export interface SignedRequest {
  readonly method: string;
  /** Host (and port when not the default), as the request was addressed. */
  readonly authority: string;
  readonly path: string;
  readonly query?: string;
  readonly scheme?: 'http' | 'https';
  readonly headers: HeaderMap;
}

// ---------------------------------------------------------------------------------------------
// Structured fields (RFC 8941): the dictionary subset the signature headers use

type BareItem = string | number | boolean | Buffer | { token: string };
interface Member {
  /** An inner list's items (component names), or undefined for a bare item. */
  readonly items?: { value: BareItem; params: Map<string, BareItem> }[];
  readonly value?: BareItem;
  readonly params: Map<string, BareItem>;
  /** The member's value exactly as it appeared (for @signature-params). */
  readonly raw: string;
}

class Cursor {
  i = 0;
  constructor(readonly s: string) {}
  peek(): string {
    return this.s[this.i] ?? '';
  }
  eat(ch: string): boolean {
    if (this.s[this.i] !== ch) return false;
    this.i++;
    return true;
  }
  spaces(ows = false): void {
    while (this.s[this.i] === ' ' || (ows && this.s[this.i] === '\t')) this.i++;
  }
  match(re: RegExp): string | undefined {
    re.lastIndex = this.i;
    const m = re.exec(this.s);
    if (!m || m.index !== this.i) return undefined;
    this.i += m[0].length;
    return m[0];
  }
}

const KEY_RE = /[a-z*][a-z0-9_\-.*]*/y;
const TOKEN_RE = /[A-Za-z*][A-Za-z0-9:/!#$%&'*+\-.^_`|~]*/y;
const INTEGER_RE = /-?\d{1,15}/y;
const BYTES_RE = /:([A-Za-z0-9+/=]*):/y;

function bareItem(c: Cursor): BareItem | undefined {
  const ch = c.peek();
  if (ch === '"') {
    c.i++;
    let out = '';
    for (;;) {
      const x = c.s[c.i++];
      if (x === undefined) return undefined;
      if (x === '"') return out;
      if (x === '\\') {
        const y = c.s[c.i++];
        if (y !== '"' && y !== '\\') return undefined;
        out += y;
      } else {
        const code = x.charCodeAt(0);
        if (code < 0x20 || code > 0x7e) return undefined;
        out += x;
      }
    }
  }
  if (ch === ':') {
    const m = c.match(BYTES_RE);
    return m === undefined ? undefined : Buffer.from(m.slice(1, -1), 'base64');
  }
  if (ch === '?') {
    const m = c.match(/\?[01]/y);
    return m === undefined ? undefined : m === '?1';
  }
  if (ch === '-' || (ch >= '0' && ch <= '9')) {
    const m = c.match(INTEGER_RE);
    return m === undefined ? undefined : Number(m);
  }
  const t = c.match(TOKEN_RE);
  return t === undefined ? undefined : { token: t };
}

function parameters(c: Cursor): Map<string, BareItem> | undefined {
  const params = new Map<string, BareItem>();
  while (c.eat(';')) {
    c.spaces();
    const key = c.match(KEY_RE);
    if (key === undefined) return undefined;
    let value: BareItem = true;
    if (c.eat('=')) {
      const v = bareItem(c);
      if (v === undefined) return undefined;
      value = v;
    }
    params.set(key, value);
  }
  return params;
}

/** Parse a structured-field dictionary; undefined when it is malformed or too large. */
export function parseDictionary(header: string | undefined): Map<string, Member> | undefined {
  if (header === undefined || header.length > HEADER_LENGTH_MAX) return undefined;
  const c = new Cursor(header.trim());
  const out = new Map<string, Member>();
  while (c.i < c.s.length) {
    const key = c.match(KEY_RE);
    if (key === undefined || !c.eat('=')) return undefined;
    const start = c.i;
    let member: Member;
    if (c.eat('(')) {
      const items: { value: BareItem; params: Map<string, BareItem> }[] = [];
      for (;;) {
        c.spaces();
        if (c.eat(')')) break;
        const value = bareItem(c);
        const params = value === undefined ? undefined : parameters(c);
        if (value === undefined || !params || items.length >= COMPONENTS_MAX) return undefined;
        items.push({ value, params });
        if (c.peek() !== ' ' && c.peek() !== ')') return undefined;
      }
      const params = parameters(c);
      if (!params) return undefined;
      member = { items, params, raw: c.s.slice(start, c.i) };
    } else {
      const value = bareItem(c);
      const params = value === undefined ? undefined : parameters(c);
      if (value === undefined || !params) return undefined;
      member = { value, params, raw: c.s.slice(start, c.i) };
    }
    out.set(key, member);
    if (out.size > SIGNATURES_MAX) return undefined;
    c.spaces(true);
    if (c.i >= c.s.length) break;
    if (!c.eat(',')) return undefined;
    c.spaces(true);
    if (c.i >= c.s.length) return undefined; // trailing comma
  }
  return out;
}

function serializeString(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

// ---------------------------------------------------------------------------------------------
// Content-Digest (RFC 9530)

const DIGESTS = { 'sha-256': 'sha256', 'sha-512': 'sha512' } as const;
export type DigestAlgorithm = keyof typeof DIGESTS;

export function contentDigest(body: string | Buffer, alg: DigestAlgorithm = 'sha-512'): string {
  return `${alg}=:${createHash(DIGESTS[alg]).update(body).digest('base64')}:`;
}

/** True when the header carries at least one digest we know and every one we know matches the body. */
export function verifyContentDigest(header: string | string[] | undefined, body: string | Buffer): boolean {
  const dict = parseDictionary(fieldValue(header));
  if (!dict) return false;
  let checked = 0;
  for (const [name, alg] of Object.entries(DIGESTS)) {
    const member = dict.get(name);
    if (!member) continue;
    if (!Buffer.isBuffer(member.value)) return false;
    const actual = createHash(alg).update(body).digest();
    if (member.value.length !== actual.length || !timingSafeEqual(member.value, actual)) return false;
    checked++;
  }
  return checked > 0;
}

// ---------------------------------------------------------------------------------------------
// Signature base (RFC 9421 §2.5)

function fieldValue(v: string | string[] | undefined): string | undefined {
  if (v === undefined) return undefined;
  return (Array.isArray(v) ? v.join(', ') : v).trim();
}

function componentValue(req: SignedRequest, name: string): string | undefined {
  switch (name) {
    case '@method':
      return req.method.toUpperCase();
    case '@authority':
      return req.authority.toLowerCase();
    case '@path':
      return req.path || '/';
    case '@query':
      return `?${req.query ?? ''}`;
    case '@request-target':
      return `${req.path || '/'}${req.query ? `?${req.query}` : ''}`;
    case '@scheme':
      return req.scheme;
    case '@target-uri':
      return req.scheme ? `${req.scheme}://${req.authority.toLowerCase()}${req.path || '/'}${req.query ? `?${req.query}` : ''}` : undefined;
    default:
      if (name.startsWith('@') || name !== name.toLowerCase()) return undefined;
      return fieldValue(req.headers[name]);
  }
}

/** The signature base for `components` with the serialized parameters `params_raw`; undefined if a component is missing. */
export function signatureBase(req: SignedRequest, components: readonly string[], params_raw: string): string | undefined {
  const lines: string[] = [];
  for (const name of components) {
    const value = componentValue(req, name);
    if (value === undefined || /[\r\n]/.test(value)) return undefined;
    lines.push(`${serializeString(name)}: ${value}`);
  }
  lines.push(`"@signature-params": ${params_raw}`);
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------
// Algorithms

const EC_CURVE: Partial<Record<SignatureAlgorithm, { curve: string; hash: string }>> = {
  'ecdsa-p256-sha256': { curve: 'prime256v1', hash: 'sha256' },
  'ecdsa-p384-sha384': { curve: 'secp384r1', hash: 'sha384' },
};

/** The algorithm a key implies when a signature does not name one (RSA keys must name it). */
function algorithmOfKey(key: KeyObject): SignatureAlgorithm | undefined {
  if (key.asymmetricKeyType === 'ed25519') return 'ed25519';
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    return curve === 'prime256v1' ? 'ecdsa-p256-sha256' : curve === 'secp384r1' ? 'ecdsa-p384-sha384' : undefined;
  }
  return undefined;
}

function keyFits(alg: SignatureAlgorithm, key: KeyObject): boolean {
  const ec = EC_CURVE[alg];
  if (ec) return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === ec.curve;
  if (alg === 'ed25519') return key.asymmetricKeyType === 'ed25519';
  return key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss';
}

export function verifyBytes(alg: SignatureAlgorithm, key: KeyObject, data: Buffer, signature: Buffer): boolean {
  if (!keyFits(alg, key)) return false;
  try {
    const ec = EC_CURVE[alg];
    if (ec) {
      return cryptoVerify(ec.hash, data, { key, dsaEncoding: 'ieee-p1363' }, signature) || cryptoVerify(ec.hash, data, { key, dsaEncoding: 'der' }, signature);
    }
    switch (alg) {
      case 'ed25519':
        return cryptoVerify(null, data, key, signature);
      case 'rsa-pss-sha512':
        return cryptoVerify('sha512', data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 64 }, signature);
      case 'rsa-v1_5-sha256':
        return cryptoVerify('sha256', data, { key, padding: constants.RSA_PKCS1_PADDING }, signature);
      default:
        return false;
    }
  } catch {
    return false; // a malformed signature or key is a failed check, not an error
  }
}

function signBytes(alg: SignatureAlgorithm, key: KeyObject, data: Buffer, ecdsa_encoding: 'der' | 'ieee-p1363'): Buffer {
  const ec = EC_CURVE[alg];
  if (ec) return cryptoSign(ec.hash, data, { key, dsaEncoding: ecdsa_encoding });
  switch (alg) {
    case 'ed25519':
      return cryptoSign(null, data, key);
    case 'rsa-pss-sha512':
      return cryptoSign('sha512', data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 64 });
    case 'rsa-v1_5-sha256':
      return cryptoSign('sha256', data, { key, padding: constants.RSA_PKCS1_PADDING });
    default:
      throw new Error(`assertion: unknown algorithm ${alg as string}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Sign and verify a request

export interface SignOptions {
  label: string;
  components: readonly string[];
  alg: SignatureAlgorithm;
  keyid: string;
  key: KeyObject;
  created_s: number;
  /** DER is what pawaPay's signing sample produces; RFC 9421 specifies raw r‖s. */
  ecdsa_encoding?: 'der' | 'ieee-p1363';
}

/** The `Signature-Input` and `Signature` header values for a request whose headers are already set. */
export function signRequest(req: SignedRequest, o: SignOptions): { 'signature-input': string; signature: string } {
  const params_raw = `(${o.components.map(serializeString).join(' ')});alg=${serializeString(o.alg)};keyid=${serializeString(o.keyid)};created=${Math.floor(o.created_s)}`;
  const base = signatureBase(req, o.components, params_raw);
  if (base === undefined) throw new Error('assertion: every signed component must be present on the request');
  const sig = signBytes(o.alg, o.key, Buffer.from(base, 'utf8'), o.ecdsa_encoding ?? 'der');
  return { 'signature-input': `${o.label}=${params_raw}`, signature: `${o.label}=:${sig.toString('base64')}:` };
}

export type KeyLookup = (keyid: string | undefined) => Promise<KeyObject[]>;

export type VerifyOutcome = { ok: true; label: string; keyid: string | undefined } | { ok: false; reason: string };

/**
 * Verify a request's signatures: accepted when one signature covers every component in
 * `required`, is within its time window and verifies with a key `keys` returns for its keyid.
 */
export async function verifyRequest(req: SignedRequest, keys: KeyLookup, opts: { required: readonly string[]; now_s: number }): Promise<VerifyOutcome> {
  const inputs = parseDictionary(fieldValue(req.headers['signature-input']));
  const signatures = parseDictionary(fieldValue(req.headers['signature']));
  if (!inputs || !signatures || inputs.size === 0) return { ok: false, reason: 'no parsable Signature-Input/Signature headers' };
  let reason = 'no signature covers the required components';
  for (const [label, input] of inputs) {
    const sig = signatures.get(label)?.value;
    if (!input.items || !Buffer.isBuffer(sig)) continue;
    if (input.items.some((it) => typeof it.value !== 'string' || it.params.size > 0)) {
      reason = `signature ${label} uses component parameters this server does not support`;
      continue;
    }
    const components = input.items.map((it) => it.value as string);
    if (!opts.required.every((r) => components.includes(r))) continue;
    const created = input.params.get('created');
    const expires = input.params.get('expires');
    if (typeof expires === 'number' && expires < opts.now_s) {
      reason = `signature ${label} expired`;
      continue;
    }
    if (typeof created === 'number' && created > opts.now_s + CREATED_SKEW_S) {
      reason = `signature ${label} was created in the future`;
      continue;
    }
    const algParam = input.params.get('alg');
    if (algParam !== undefined && !(typeof algParam === 'string' && (SIGNATURE_ALGORITHMS as readonly string[]).includes(algParam))) {
      reason = `signature ${label} uses an unsupported algorithm`;
      continue;
    }
    const keyidParam = input.params.get('keyid');
    const keyid = typeof keyidParam === 'string' ? keyidParam : undefined;
    const base = signatureBase(req, components, input.raw);
    if (base === undefined) {
      reason = `signature ${label} covers a component the request does not carry`;
      continue;
    }
    const data = Buffer.from(base, 'utf8');
    for (const key of await keys(keyid)) {
      const alg = (algParam as SignatureAlgorithm | undefined) ?? algorithmOfKey(key);
      if (alg && verifyBytes(alg, key, data, sig)) return { ok: true, label, keyid };
    }
    reason = `signature ${label} does not verify with pawaPay's key${keyid ? ` ${keyid}` : ''}`;
  }
  return { ok: false, reason };
}
