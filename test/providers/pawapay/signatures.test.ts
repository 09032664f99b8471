/**
 * RFC 9421 signatures and RFC 9530 digests as pawaPay uses them for callbacks. The verifier is
 * checked against the RFC's own published vector (B.2.6), not only against our signer.
 */
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  contentDigest,
  parseDictionary,
  SIGNATURE_ALGORITHMS,
  type SignatureAlgorithm,
  type SignedRequest,
  signRequest,
  verifyContentDigest,
  verifyRequest,
} from '../../../src/providers/pawapay/signatures.js';

const NOW_S = 1_768_478_400; // 2026-01-15T12:00:00Z

function keyPair(alg: SignatureAlgorithm): { privateKey: KeyObject; publicKey: KeyObject } {
  switch (alg) {
    case 'ecdsa-p256-sha256':
      return generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    case 'ecdsa-p384-sha384':
      return generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
    case 'ed25519':
      return generateKeyPairSync('ed25519');
    default:
      return generateKeyPairSync('rsa', { modulusLength: 2048 });
  }
}

function callback(body: string, headers: Record<string, string> = {}): SignedRequest {
  return {
    method: 'POST',
    authority: 'dollr.example:8443',
    path: '/callbacks/pawapay',
    headers: { host: 'dollr.example:8443', 'content-type': 'application/json', 'content-digest': contentDigest(body), 'signature-date': '2026-01-15T12:00:00Z', ...headers },
  };
}

const COMPONENTS = ['@method', '@authority', '@path', 'signature-date', 'content-digest', 'content-type'];
const keysFor = (k: KeyObject) => async () => [k];

describe('pawaPay callback signatures (RFC 9421)', () => {
  it('verifies RFC 9421 test vector B.2.6 (ed25519) and refuses it once a covered header changes', async () => {
    // Appendix B.1.4 test-key-ed25519 and B.2.6, as published in the RFC.
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: 'JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs' }, format: 'jwk' });
    const headers = {
      host: 'example.com',
      date: 'Tue, 20 Apr 2021 02:07:55 GMT',
      'content-type': 'application/json',
      'content-length': '18',
      'signature-input': 'sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"',
      signature: 'sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:',
    };
    const req: SignedRequest = { method: 'POST', authority: 'example.com', path: '/foo', query: 'param=Value&Pet=dog', headers };
    const ok = await verifyRequest(req, keysFor(key), { required: [], now_s: NOW_S });
    assert.deepEqual(ok, { ok: true, label: 'sig-b26', keyid: 'test-key-ed25519' });
    const tampered = await verifyRequest({ ...req, headers: { ...headers, 'content-length': '19' } }, keysFor(key), { required: [], now_s: NOW_S });
    assert.equal(tampered.ok, false);
    const otherPath = await verifyRequest({ ...req, path: '/bar' }, keysFor(key), { required: [], now_s: NOW_S });
    assert.equal(otherPath.ok, false);
  });

  for (const alg of SIGNATURE_ALGORITHMS) {
    it(`signs and verifies with ${alg}; another key does not verify`, async () => {
      const { privateKey, publicKey } = keyPair(alg);
      const req = callback('{"depositId":"x","status":"COMPLETED"}');
      const signed = signRequest(req, { label: 'sig-pp', components: COMPONENTS, alg, keyid: 'k1', key: privateKey, created_s: NOW_S });
      const withSig = { ...req, headers: { ...req.headers, ...signed } };
      assert.deepEqual(await verifyRequest(withSig, keysFor(publicKey), { required: ['content-digest'], now_s: NOW_S }), { ok: true, label: 'sig-pp', keyid: 'k1' });
      const other = keyPair(alg).publicKey;
      assert.equal((await verifyRequest(withSig, keysFor(other), { required: ['content-digest'], now_s: NOW_S })).ok, false);
    });
  }

  it('accepts ECDSA in both RFC (r‖s) and DER encodings', async () => {
    const { privateKey, publicKey } = keyPair('ecdsa-p256-sha256');
    for (const ecdsa_encoding of ['der', 'ieee-p1363'] as const) {
      const req = callback('{}');
      const signed = signRequest(req, { label: 'sig-pp', components: COMPONENTS, alg: 'ecdsa-p256-sha256', keyid: 'k', key: privateKey, created_s: NOW_S, ecdsa_encoding });
      const out = await verifyRequest({ ...req, headers: { ...req.headers, ...signed } }, keysFor(publicKey), { required: ['content-digest'], now_s: NOW_S });
      assert.equal(out.ok, true, ecdsa_encoding);
    }
  });

  it('refuses signatures that do not cover the body, are expired or from the future, or name another algorithm', async () => {
    const { privateKey, publicKey } = keyPair('ecdsa-p256-sha256');
    const req = callback('{}');
    const sign = (components: string[], created_s = NOW_S) =>
      ({ ...req, headers: { ...req.headers, ...signRequest(req, { label: 'sig-pp', components, alg: 'ecdsa-p256-sha256', keyid: 'k', key: privateKey, created_s }) } });
    const noBody = await verifyRequest(sign(['@method', '@path']), keysFor(publicKey), { required: ['content-digest'], now_s: NOW_S });
    assert.deepEqual(noBody, { ok: false, reason: 'no signature covers the required components' });
    const future = await verifyRequest(sign(COMPONENTS, NOW_S + 3600), keysFor(publicKey), { required: ['content-digest'], now_s: NOW_S });
    assert.match((future as { reason: string }).reason, /future/);

    const good = sign(COMPONENTS);
    const input = String(good.headers['signature-input']);
    const expired = { ...good, headers: { ...good.headers, 'signature-input': `${input};expires=${NOW_S - 1}` } };
    assert.match(((await verifyRequest(expired, keysFor(publicKey), { required: [], now_s: NOW_S })) as { reason: string }).reason, /expired/);
    const rsaNamed = { ...good, headers: { ...good.headers, 'signature-input': input.replace('ecdsa-p256-sha256', 'rsa-pss-sha512') } };
    assert.equal((await verifyRequest(rsaNamed, keysFor(publicKey), { required: [], now_s: NOW_S })).ok, false, 'the key does not fit the named algorithm');
    const unknownAlg = { ...good, headers: { ...good.headers, 'signature-input': input.replace('ecdsa-p256-sha256', 'hmac-sha256') } };
    assert.match(((await verifyRequest(unknownAlg, keysFor(publicKey), { required: [], now_s: NOW_S })) as { reason: string }).reason, /unsupported algorithm/);
    const missingHeader = { ...good, headers: { ...good.headers, 'signature-date': undefined } };
    assert.equal((await verifyRequest(missingHeader, keysFor(publicKey), { required: [], now_s: NOW_S })).ok, false);
    assert.equal((await verifyRequest(req, keysFor(publicKey), { required: [], now_s: NOW_S })).ok, false, 'unsigned');
    const noKeys = await verifyRequest(good, async () => [], { required: [], now_s: NOW_S });
    assert.equal(noKeys.ok, false);
  });

  it('checks the Content-Digest against the exact body', () => {
    const body = '{"depositId":"a","status":"COMPLETED"}';
    assert.equal(verifyContentDigest(contentDigest(body, 'sha-512'), body), true);
    assert.equal(verifyContentDigest(contentDigest(body, 'sha-256'), body), true);
    assert.equal(verifyContentDigest(`${contentDigest(body, 'sha-256')}, ${contentDigest(body, 'sha-512')}`, body), true);
    assert.equal(verifyContentDigest(contentDigest(body), body.replace('COMPLETED', 'FAILED')), false);
    assert.equal(verifyContentDigest(`${contentDigest(body, 'sha-256')}, ${contentDigest('other', 'sha-512')}`, body), false, 'every known digest must match');
    assert.equal(verifyContentDigest('md5=:AAAA:', body), false, 'no digest we know');
    assert.equal(verifyContentDigest('sha-512=abc', body), false, 'not a byte sequence');
    assert.equal(verifyContentDigest(undefined, body), false);
  });

  it('parses structured-field dictionaries strictly', () => {
    const d = parseDictionary('a=("x" "y";p=1);created=5;keyid="k\\"1", b=:AQID:');
    assert.deepEqual(d?.get('a')?.items?.map((i) => i.value), ['x', 'y']);
    assert.equal(d?.get('a')?.params.get('keyid'), 'k"1');
    assert.equal(d?.get('a')?.raw, '("x" "y";p=1);created=5;keyid="k\\"1"');
    assert.deepEqual([...(d?.get('b')?.value as Buffer)], [1, 2, 3]);
    for (const bad of ['a=', 'a=("x"', 'a=1,', 'A=1', 'a=("x")trailing', `a=:${'A'.repeat(9000)}:`]) assert.equal(parseDictionary(bad), undefined, bad);
  });
});
