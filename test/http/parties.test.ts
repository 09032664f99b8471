/**
 * Parties and counterparties over HTTP: create, list (name search, paging), retrieve, update;
 * every refusal's 422 location; one merchant never sees another's objects.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backends } from '../helpers/backends.js';
import { assertNotFound, counterparty, locs, newPhone, ok, party, refusedAt } from '../helpers/objects.js';
import { useServer } from '../helpers/server.js';

const PARTY_KEYS = ['country_code', 'created_at', 'email', 'fullname', 'id', 'phone', 'updated_at'];
const COUNTERPARTY_KEYS = ['created_at', 'id', 'party_id', 'relationship_type', 'updated_at'];

for (const backend of backends()) {
  describe(`parties [${backend}]`, () => {
    const h = useServer(backend);

    it('creates, retrieves and lists a party with the documented fields', async () => {
      const m = await h.merchant();
      const phone = newPhone();
      const created = ok(await m.api.post('/v1/parties/create', { fullname: 'Amara Kamara', phone, email: 'amara@example.com', country_code: 'LR' }));
      assert.deepEqual(Object.keys(created).sort(), PARTY_KEYS);
      assert.equal(typeof created.id, 'number');
      assert.equal(created.fullname, 'Amara Kamara');
      assert.equal(created.phone, phone);
      assert.equal(created.email, 'amara@example.com');
      assert.equal(created.country_code, 'LR');
      assert.equal(created.created_at, h.clock.now().toISOString());

      assert.deepEqual(ok(await m.api.get(`/v1/parties/retrieve/${created.id}`)), created);
      const minimal = await party(m.api, { fullname: 'Kofi' });
      assert.equal(minimal.email, null);
      assert.equal(minimal.country_code, null);
      const list = ok(await m.api.get('/v1/parties/list'));
      assert.deepEqual(list.map((p: any) => p.id), [created.id, minimal.id]);
    });

    it('refuses every broken field with its location', async () => {
      const m = await h.merchant();
      assert.deepEqual(locs(await m.api.post('/v1/parties/create', {})), ['body.fullname', 'body.phone']);
      assert.deepEqual(
        locs(await m.api.post('/v1/parties/create', { fullname: 'A', phone: '+231771234567', email: 'nope', country_code: 'lr', extra: 1 })),
        ['body.country_code', 'body.email', 'body.extra', 'body.phone'],
      );
      refusedAt(await m.api.post('/v1/parties/create', { fullname: 'A', phone: '1234567' }), 'body.phone');
      refusedAt(await m.api.post('/v1/parties/create', { fullname: '   ', phone: newPhone() }), 'body.fullname', /blank/);
      refusedAt(await m.api.post('/v1/parties/create', { fullname: 'x'.repeat(201), phone: newPhone() }), 'body.fullname', /at most 200/);
      refusedAt(await m.api.post('/v1/parties/create', { fullname: 'A', phone: 231771234567 }), 'body.phone');
      assert.deepEqual(ok(await m.api.get('/v1/parties/list')), [], 'nothing was written');
    });

    it('searches names case-insensitively, taking % and _ literally', async () => {
      const m = await h.merchant();
      const amara = await party(m.api, { fullname: 'Amara Kamara' });
      const percent = await party(m.api, { fullname: '100% Pure_Co' });
      await party(m.api, { fullname: 'Kofi Mensah' });
      const ids = async (fullname: string) => ok(await m.api.get('/v1/parties/list', { fullname })).map((p: any) => p.id);
      assert.deepEqual(await ids('KAMAR'), [amara.id]);
      assert.deepEqual(await ids('%'), [percent.id]);
      assert.deepEqual(await ids('e_c'), [percent.id]);
      assert.deepEqual(await ids('_'), [percent.id]);
      assert.deepEqual(await ids('nobody'), []);
    });

    it('pages with limit and starting_after, the next cursor in X-Next-Cursor', async () => {
      const m = await h.merchant();
      const made = [];
      for (let i = 0; i < 5; i++) made.push((await party(m.api, { fullname: `P${i}` })).id);
      const first = await m.api.get('/v1/parties/list', { limit: 2 });
      assert.deepEqual(ok(first).map((p: any) => p.id), made.slice(0, 2));
      assert.equal(first.headers.get('x-next-cursor'), String(made[1]));
      const second = await m.api.get('/v1/parties/list', { limit: 2, starting_after: made[1] });
      assert.deepEqual(ok(second).map((p: any) => p.id), made.slice(2, 4));
      const last = await m.api.get('/v1/parties/list', { limit: 2, starting_after: made[3] });
      assert.deepEqual(ok(last).map((p: any) => p.id), made.slice(4));
      assert.equal(last.headers.get('x-next-cursor'), null);
      assert.equal((await m.api.get('/v1/parties/list')).headers.get('x-next-cursor'), null);
      refusedAt(await m.api.get('/v1/parties/list', { limit: 0 }), 'query.limit');
      refusedAt(await m.api.get('/v1/parties/list', { limit: 101 }), 'query.limit');
      refusedAt(await m.api.get('/v1/parties/list', { starting_after: 'x' }), 'query.starting_after');
      refusedAt(await m.api.get('/v1/parties/list', { sort: 'name' }), 'query.sort');
    });

    it("never shows another merchant's parties", async () => {
      const a = await h.merchant();
      const b = await h.merchant();
      const theirs = await party(b.api, { fullname: 'Secret Person' });
      assertNotFound(await a.api.get(`/v1/parties/retrieve/${theirs.id}`));
      assertNotFound(await a.api.get('/v1/parties/retrieve/999999999'));
      assert.deepEqual(ok(await a.api.get('/v1/parties/list', { fullname: 'Secret' })), []);
      refusedAt(await a.api.get('/v1/parties/retrieve/abc'), 'path.id');
    });
  });

  describe(`counterparties [${backend}]`, () => {
    const h = useServer(backend);

    it('creates, retrieves with the embedded party, lists and updates', async () => {
      const m = await h.merchant();
      const p = await party(m.api, { fullname: 'Amara Kamara' });
      const cp = ok(await m.api.post('/v1/counterparties/create', { relationship_type: 'CUSTOMER', party_id: p.id }));
      assert.deepEqual(Object.keys(cp).sort(), COUNTERPARTY_KEYS);
      assert.equal(cp.party_id, p.id);
      const detail = ok(await m.api.get(`/v1/counterparties/retrieve/${cp.id}`));
      assert.deepEqual(detail, { ...cp, party: p });

      const self = ok(await m.api.post('/v1/counterparties/create', { relationship_type: 'SELF' }));
      assert.equal(self.party_id, null);
      assert.equal(ok(await m.api.get(`/v1/counterparties/retrieve/${self.id}`)).party, null);

      const q = async (query: Record<string, string>) => ok(await m.api.get('/v1/counterparties/list', query)).map((c: any) => c.id);
      assert.deepEqual(await q({}), [cp.id, self.id]);
      assert.deepEqual(await q({ fullname: 'amara' }), [cp.id]);
      assert.deepEqual(await q({ relationship_type: 'SELF' }), [self.id]);
      assert.deepEqual(await q({ fullname: 'amara', relationship_type: 'SELF' }), []);

      (h.clock as any).advance(1000);
      const updated = ok(await m.api.put(`/v1/counterparties/update/${cp.id}`, { relationship_type: 'SUPPLIER' }));
      assert.equal(updated.relationship_type, 'SUPPLIER');
      assert.equal(updated.party_id, p.id);
      assert.notEqual(updated.updated_at, cp.updated_at);
      const other = await party(m.api, { fullname: 'Kofi' });
      assert.equal(ok(await m.api.put(`/v1/counterparties/update/${cp.id}`, { party_id: other.id })).party_id, other.id);
      assert.equal(ok(await m.api.put(`/v1/counterparties/update/${cp.id}`, { party_id: null })).party_id, null);
      const unchanged = ok(await m.api.put(`/v1/counterparties/update/${cp.id}`, {}));
      assert.equal(unchanged.relationship_type, 'SUPPLIER');
    });

    it('refuses OTHER, unknown fields and parties it cannot see', async () => {
      const a = await h.merchant();
      const b = await h.merchant();
      refusedAt(await a.api.post('/v1/counterparties/create', { relationship_type: 'OTHER' }), 'body.relationship_type', /permitted/);
      refusedAt(await a.api.post('/v1/counterparties/create', {}), 'body.relationship_type', /field required/);
      refusedAt(await a.api.post('/v1/counterparties/create', { relationship_type: 'CUSTOMER', party_id: '1' }), 'body.party_id');
      const theirParty = await party(b.api);
      refusedAt(await a.api.post('/v1/counterparties/create', { relationship_type: 'CUSTOMER', party_id: theirParty.id }), 'body.party_id', /^party not found$/);
      assert.deepEqual(ok(await a.api.get('/v1/counterparties/list')), [], 'nothing was written');

      const mine = await counterparty(a.api);
      refusedAt(await a.api.put(`/v1/counterparties/update/${mine.id}`, { party_id: theirParty.id }), 'body.party_id', /^party not found$/);
      refusedAt(await a.api.put(`/v1/counterparties/update/${mine.id}`, { relationship_type: 'OTHER' }), 'body.relationship_type');
      assert.equal(ok(await a.api.get(`/v1/counterparties/retrieve/${mine.id}`)).party_id, mine.party_id, 'a refused update changes nothing');

      const theirs = await counterparty(b.api);
      assertNotFound(await a.api.get(`/v1/counterparties/retrieve/${theirs.id}`));
      assertNotFound(await a.api.put(`/v1/counterparties/update/${theirs.id}`, { relationship_type: 'SUPPLIER' }));
      assert.equal(ok(await b.api.get(`/v1/counterparties/retrieve/${theirs.id}`)).relationship_type, 'CUSTOMER');
    });
  });
}
