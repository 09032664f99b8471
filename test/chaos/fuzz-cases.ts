/**
 * Malformed requests generated from /openapi.json. Every case breaks the documented contract in
 * at least one place (a missing or wrongly typed field, a number out of range, a string the pattern
 * or enum refuses, an unknown field where additionalProperties is false, bad JSON, a wrong content
 * type, an oversized body, a bad path or query parameter, a missing or bad token) — so each must be
 * refused with a documented 4xx and write nothing. Path ids that are well-formed name objects that
 * do not exist, so even a request whose only fault is "not found" writes nothing.
 */

type Schema = Record<string, any>;

export interface Operation {
  method: string;
  path: string;
  public: boolean;
  params: { in: 'path' | 'query'; name: string; required: boolean; schema: Schema }[];
  body?: Schema;
}

export interface FuzzCase {
  op: string; // "POST /v1/parties/create"
  mutation: string; // what was broken
  method: string;
  url: string; // path + query
  headers: Record<string, string>;
  body?: string | Buffer;
}

export function operations(spec: any): Operation[] {
  const out: Operation[] = [];
  for (const [path, ops] of Object.entries<any>(spec.paths)) {
    for (const [method, op] of Object.entries<any>(ops)) {
      out.push({
        method: method.toUpperCase(),
        path,
        public: Array.isArray(op.security) && op.security.length === 0,
        params: (op.parameters ?? []).map((p: any) => ({ in: p.in, name: p.name, required: !!p.required, schema: p.schema ?? {} })),
        body: op.requestBody?.content?.['application/json']?.schema,
      });
    }
  }
  return out;
}

const NONEXISTENT_ID = 987_654_321;
const UUID_EXAMPLE = '6f1c7a9e-4b6d-4c1e-9f3a-6b2d8e0c5a71';

const typesOf = (s: Schema): string[] => {
  if (s.anyOf) return (s.anyOf as Schema[]).flatMap(typesOf);
  if (Array.isArray(s.type)) return s.type;
  return s.type ? [s.type] : [];
};

/** A value the schema accepts (best effort: the base a single mutation breaks). */
export function sample(s: Schema): unknown {
  if (s.anyOf) return sample(s.anyOf[0]);
  if (s.enum) return s.enum[0];
  if (s.example !== undefined) return s.example;
  if (s.examples?.length) return s.examples[0];
  const t = typesOf(s).find((x) => x !== 'null');
  switch (t) {
    case 'string':
      if (s.format === 'date-time') return new Date(Date.now() + 60 * 60_000).toISOString();
      if (s.format === 'email') return 'fuzz@example.test';
      if (s.format === 'uri' || s.pattern === '^https?://') return 'https://example.test/hook';
      if (s.pattern === '^[A-Z]{3}$') return 'USD';
      if (s.pattern === '^[A-Z]{2}$') return 'LR';
      if (s.pattern === '^[1-9]\\d{7,14}$') return '231770000123';
      if (s.pattern?.startsWith('^[1-9][0-9]')) return String(NONEXISTENT_ID);
      if (s.pattern?.startsWith('^[0-9a-fA-F]{8}')) return UUID_EXAMPLE;
      if (s.pattern?.startsWith('^pm_')) return 'pm_card_visa';
      return 'x'.repeat(Math.max(1, s.minLength ?? 1));
    case 'integer':
      // ids (wide range): one that does not exist; counts and quantities: their minimum
      return (s.maximum ?? Number.MAX_SAFE_INTEGER) >= NONEXISTENT_ID ? NONEXISTENT_ID : (s.minimum ?? 1);
    case 'number':
      return 10;
    case 'boolean':
      return true;
    case 'array':
      return Array.from({ length: s.minItems ?? 1 }, () => sample(s.items ?? {}));
    case 'object': {
      const o: Record<string, unknown> = {};
      for (const k of s.required ?? []) o[k] = sample(s.properties?.[k] ?? {});
      return o;
    }
    default:
      return 'x';
  }
}

/** A JSON value of a type the schema does not allow, or undefined when every type is allowed. */
function wrongType(s: Schema): unknown {
  const allowed = new Set(typesOf(s));
  if (!allowed.size) return undefined;
  const candidates: [string, unknown][] = [
    ['object', { nested: true }],
    ['array', [1, 2]],
    ['string', 'not-a-number'],
    ['number', 12.5],
    ['boolean', true],
    ['null', null],
  ];
  for (const [type, value] of candidates) {
    if (allowed.has(type)) continue;
    if (type === 'number' && allowed.has('integer')) continue; // 12.5 is not an integer, but keep it simple
    return value;
  }
  return undefined;
}

/** Values the field's schema refuses (numbers out of range, strings the pattern/enum/length refuses). */
function refusedValues(s: Schema, rnd: () => number): { label: string; raw?: string; value?: unknown }[] {
  const out: { label: string; raw?: string; value?: unknown }[] = [];
  const t = new Set(typesOf(s));
  if (t.has('integer') || t.has('number')) {
    out.push({ label: '1e400', raw: '1e400' }, { label: '-1e400', raw: '-1e400' });
    if (s.maximum !== undefined) out.push({ label: 'huge integer', raw: '123456789012345678901234567890' });
    if (t.has('integer')) out.push({ label: '1e-400', raw: '1e-400' }, { label: 'fraction', raw: '1.5' });
    if ((s.minimum ?? 0) >= 1 || s.exclusiveMinimum === 0) out.push({ label: '-0', raw: '-0' }, { label: 'zero', raw: '0' }, { label: 'negative', raw: '-7' });
    if (s.maximum !== undefined) out.push({ label: 'over maximum', raw: String(s.maximum === 9007199254740991 ? '9007199254740993' : s.maximum * 10 + 1) });
    if (s.exclusiveMinimum === 0 && t.has('number')) out.push({ label: 'tiny amount', raw: '0.0000001' });
  }
  if (t.has('string')) {
    const restricted = s.enum || s.pattern || s.format === 'date-time' || s.format === 'email' || s.format === 'uri';
    if (restricted) {
      const weird = ['ＵＳＤ', '😀💸', 'US\u0000D', ' USD', 'usd', '\u202eDSU', 'U\u200bSD', 'Ünïcödé', '../../etc/passwd', "'; drop table merchants; --", '${jndi:ldap://x}'];
      out.push({ label: 'unicode/injection string', value: weird[Math.floor(rnd() * weird.length)] });
    }
    // PostgreSQL text cannot hold U+0000: a free-text field with it must be refused, not crash the insert.
    if (!restricted) out.push({ label: 'NUL character', value: `a\u0000b` });
    if (s.maxLength !== undefined) out.push({ label: 'over maxLength (astral chars)', value: '😀'.repeat(s.maxLength + 1) });
    if ((s.minLength ?? 0) >= 1) out.push({ label: 'empty string', value: '' });
  }
  return out;
}

function deepArray(depth: number): string {
  return '['.repeat(depth) + ']'.repeat(depth);
}
function deepObject(depth: number): string {
  return '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

/** Replace one property's value in a JSON text with raw JSON (or a value), keeping the rest. */
function withField(base: Record<string, unknown>, key: string, v: { raw?: string; value?: unknown }): string {
  const marker = `"__FUZZ_${key}__"`;
  const text = JSON.stringify({ ...base, [key]: marker.slice(1, -1) });
  return text.replace(marker, v.raw ?? JSON.stringify(v.value));
}

/** Every single-fault case for one operation. `rnd` varies the values between passes. */
export function casesFor(op: Operation, token: string, rnd: () => number, bodyLimit: number): FuzzCase[] {
  const name = `${op.method} ${op.path}`;
  const cases: FuzzCase[] = [];
  const auth: Record<string, string> = op.public ? {} : { authorization: `Bearer ${token}` };
  const pathValues: Record<string, string> = {};
  for (const p of op.params.filter((x) => x.in === 'path')) pathValues[p.name] = String(sample(p.schema));
  const query: Record<string, string> = {};
  for (const p of op.params.filter((x) => x.in === 'query' && x.required)) query[p.name] = String(sample(p.schema));
  const url = (pv = pathValues, q: Record<string, string> | string = query) => {
    const path = op.path.replace(/\{(\w+)\}/g, (_, k: string) => pv[k] ?? 'x');
    const qs = typeof q === 'string' ? q : new URLSearchParams(q).toString();
    return qs ? `${path}?${qs}` : path;
  };
  const baseBody = op.body ? (sample(op.body) as Record<string, unknown>) : undefined;
  const json = { 'content-type': 'application/json', ...auth };
  const bodyText = baseBody ? JSON.stringify(baseBody) : undefined;
  const push = (mutation: string, c: Partial<FuzzCase>) =>
    cases.push({ op: name, mutation, method: op.method, url: url(), headers: { ...(bodyText ? json : auth) }, ...(bodyText ? { body: bodyText } : {}), ...c });

  // The token (every non-public operation).
  if (!op.public) {
    push('no Authorization header', { headers: bodyText ? { 'content-type': 'application/json' } : {} });
    push('garbage bearer token', { headers: { ...(bodyText ? { 'content-type': 'application/json' } : {}), authorization: 'Bearer not.a.jwt' } });
    push('Basic credentials', { headers: { ...(bodyText ? { 'content-type': 'application/json' } : {}), authorization: 'Basic ZHVtbXk6ZHVtbXk=' } });
    // The second-to-last character changes (to A, or to B when it is A: the token must differ).
    push('token with a flipped signature byte', {
      headers: { ...(bodyText ? { 'content-type': 'application/json' } : {}), authorization: `Bearer ${token.slice(0, -2)}${token.at(-2) === 'A' ? 'B' : 'A'}${token.slice(-1)}` },
    });
  }

  // Path parameters.
  for (const p of op.params.filter((x) => x.in === 'path')) {
    const bad = p.schema.type === 'integer' || p.schema.pattern?.startsWith('^[1-9]')
      ? ['abc', '0', '-1', '1.5', '99999999999999999999', '%F0%9F%98%80', '%00']
      : p.schema.pattern
        ? ['not-a-uuid', '6f1c7a9e-4b6d-1c1e-9f3a-6b2d8e0c5a71', '%F0%9F%98%80', "'or'1'='1"]
        : ['x'.repeat((p.schema.maxLength ?? 32) + 1), '%F0%9F%98%80%00', 'INV-0000-00000'];
    for (const v of bad) push(`path ${p.name}=${v.slice(0, 24)}`, { url: url({ ...pathValues, [p.name]: v }) });
    push(`path ${p.name} 300 chars`, { url: url({ ...pathValues, [p.name]: '9'.repeat(300) }) });
  }

  // Query parameters.
  for (const p of op.params.filter((x) => x.in === 'query')) {
    if (p.required) {
      const { [p.name]: _omit, ...rest } = query;
      push(`query ${p.name} missing`, { url: url(pathValues, rest) });
    }
    // Query text is converted like Number() reads it ("1e-400" is 0), so only the body gets 1e-400.
    for (const v of refusedValues(p.schema, rnd).filter((x) => x.label !== '1e-400')) {
      const text = v.raw ?? (typeof v.value === 'string' ? v.value : JSON.stringify(v.value));
      push(`query ${p.name} ${v.label}`, { url: url(pathValues, { ...query, [p.name]: text }) });
    }
    const t = typesOf(p.schema);
    if (t.includes('integer') || t.includes('number') || p.schema.pattern?.startsWith('^[1-9]')) {
      push(`query ${p.name} not a number`, { url: url(pathValues, { ...query, [p.name]: 'abc' }) });
    }
    if (p.schema.enum) push(`query ${p.name} outside the enum`, { url: url(pathValues, { ...query, [p.name]: 'NOT_IN_ENUM' }) });
  }

  if (!op.body || !baseBody) return cases;
  const props: Record<string, Schema> = op.body.properties ?? {};

  for (const k of op.body.required ?? []) {
    const { [k]: _omit, ...rest } = baseBody;
    push(`body ${k} missing`, { body: JSON.stringify(rest) });
  }
  for (const [k, s] of Object.entries(props)) {
    const w = wrongType(s);
    if (w !== undefined) push(`body ${k} wrong type`, { body: JSON.stringify({ ...baseBody, [k]: w }) });
    for (const v of refusedValues(s, rnd)) push(`body ${k} ${v.label}`, { body: withField(baseBody, k, v) });
    push(`body ${k} nested 5,000 deep`, { body: withField(baseBody, k, { raw: deepArray(5_000) }) });
    // One level down (passcode.token.code …): the same faults inside a nested object.
    if (typesOf(s).includes('object') && s.properties && baseBody[k] && typeof baseBody[k] === 'object') {
      const inner = baseBody[k] as Record<string, unknown>;
      for (const r of s.required ?? []) {
        const { [r]: _omit, ...rest } = inner;
        push(`body ${k}.${r} missing`, { body: JSON.stringify({ ...baseBody, [k]: rest }) });
      }
      if (s.additionalProperties === false) push(`body ${k} unknown field`, { body: JSON.stringify({ ...baseBody, [k]: { ...inner, sneaky: 1 } }) });
    }
  }
  if (op.body.additionalProperties === false) {
    push('body unknown field', { body: JSON.stringify({ ...baseBody, unexpected_field: 'x' }) });
    push('body __proto__ key', { body: bodyText!.replace(/^\{/, '{"__proto__":{"polluted":true},') });
    push('body constructor key', { body: JSON.stringify({ ...baseBody, constructor: { prototype: { polluted: true } } }) });
  }
  const firstKey = Object.keys(props)[0];
  if (firstKey) push('body duplicate key, last one wrong', { body: bodyText!.replace(/\}$/, `${bodyText!.length > 2 ? ',' : ''}"${firstKey}":{"dup":true}}`) });
  for (const [label, raw] of [
    ['body is an array', '[]'],
    ['body is a string', '"text"'],
    ['body is a number', '42'],
    ['body is null', 'null'],
    ['body is true', 'true'],
    ['empty body', ''],
    ['blank body', '   '],
    ['truncated JSON', bodyText!.slice(0, Math.max(1, Math.floor(bodyText!.length / 2)))],
    ['single quotes', bodyText!.replaceAll('"', "'")],
    ['trailing comma', bodyText!.replace(/\}$/, ',}')],
    ['NaN', '{"x":NaN}'],
    ['Infinity', '{"x":Infinity}'],
    ['two JSON documents', `${bodyText}${bodyText}`],
    ['object nested 10,000 deep', deepObject(10_000)],
    ['array nested 10,000 deep', deepArray(10_000)],
    ['byte-order mark and garbage', '\uFEFF{"a":'],
  ] as const) {
    push(label, { body: raw });
  }
  // A key renamed with a lone surrogate is an unknown field (and a missing one, if it was required).
  if (op.body.additionalProperties === false) push('lone surrogate in a key', { body: bodyText!.replace(/"([a-z_]+)":/, '"\\ud800$1":') });
  for (const ct of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'application/jsonp']) {
    push(`content-type ${ct}`, { headers: { ...auth, 'content-type': ct }, body: bodyText });
  }
  push('JSON body without a content type', { headers: { ...auth }, body: Buffer.from(bodyText!) });
  push('body over the size limit', { body: JSON.stringify({ ...baseBody, padding: 'x'.repeat(bodyLimit + 1024) }) });
  return cases;
}
