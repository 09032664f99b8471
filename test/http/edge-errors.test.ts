/** Refusals at the edge that once were 500s: NUL characters (PostgreSQL text cannot hold them) and a database out of reach. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jsonTextMayHoldNul, nulLocations } from '../../src/http/nul.js';
import { backends } from '../helpers/backends.js';
import { useServer } from '../helpers/server.js';

describe('NUL characters at the edge', () => {
  it('finds NUL in strings and keys, with their locations', () => {
    const found = nulLocations({ a: 'x\u0000', b: [{ c: 'ok' }, { d: '\u0000' }], ['k\u0000']: 1 }, ['body']);
    assert.deepEqual(
      found.map((f) => f.loc),
      [['body', 'a'], ['body', 'b', 1, 'd'], ['body', 'k\u0000']],
    );
    assert.ok(found.every((f) => f.type === 'value_error.str.nul'));
  });
  it('scans JSON text for the escape only', () => {
    assert.equal(jsonTextMayHoldNul('{"a":"\\u0000"}'), true);
    assert.equal(jsonTextMayHoldNul('{"a":"\\U0000"}'), true);
    assert.equal(jsonTextMayHoldNul('{"a":"0000"}'), false);
  });
});

for (const backend of backends()) {
  describe(`NUL characters answer 422, nothing written [${backend}]`, () => {
    const h = useServer(backend);

    it('in a JSON body, a query and a path parameter', async () => {
      const m = await h.merchant();
      const created = await m.api.request('POST', '/v1/parties/create', { body: { fullname: 'a\u0000b', type: 'INDIVIDUAL' } });
      assert.equal(created.status, 422, created.text);
      assert.deepEqual(created.body.detail[0].loc, ['body', 'fullname']);
      assert.equal(created.body.detail[0].type, 'value_error.str.nul');
      const listed = await m.api.request('GET', '/v1/parties/list?fullname=a%00b');
      assert.equal(listed.status, 422, listed.text);
      assert.deepEqual(listed.body.detail[0].loc, ['query', 'fullname']);
      const byNumber = await m.api.request('GET', '/v1/invoices/retrieve/number/x%00');
      assert.equal(byNumber.status, 422, byNumber.text);
      assert.equal(byNumber.body.detail[0].loc[0], 'path');
      const callback = await m.api.request('POST', '/callbacks/pawapay', { raw: '{"depositId":"a\\u0000b","status":"COMPLETED"}', headers: { 'content-type': 'application/json' } });
      assert.equal(callback.status, 422, callback.text);
      const token = await m.api.request('POST', '/v1/jwt/client/obtain/token', { raw: '{"client_id":"\\u0000","client_secret":"x"}', headers: { authorization: '', 'content-type': 'application/json' } });
      assert.equal(token.status, 422, token.text);
    });
  });
}

describe('a database out of reach is 503, not a bug', () => {
  it('recognises refused, terminated and starting-up connections, through causes', async () => {
    const { databaseUnavailable } = await import('../../src/http/errors.js');
    assert.equal(databaseUnavailable(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })), true);
    assert.equal(databaseUnavailable(new Error('Failed query: select 1', { cause: new Error('Connection terminated unexpectedly') })), true);
    assert.equal(databaseUnavailable(new Error('x', { cause: Object.assign(new Error('the database system is starting up'), { code: '57P03' }) })), true);
    assert.equal(databaseUnavailable(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' })), true);
    assert.equal(databaseUnavailable(Object.assign(new Error('duplicate key'), { code: '23505' })), false);
    assert.equal(databaseUnavailable(new TypeError('x is undefined')), false);
  });
});
