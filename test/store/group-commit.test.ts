/**
 * The group-commit primitive on its own (no database): batches form from what arrives together,
 * each unit gets its own outcome, a failed batch is run again unit by unit so a failure reaches
 * only its cause, the concurrency and queue bounds hold, a second batch waits for enough units, and
 * same-key units go in separate rounds.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GroupCommit, GroupCommitBusy, type Outcome, rounds } from '../../src/store/group-commit.js';

const tick = () => new Promise((r) => setImmediate(r));

function recorder(fn: (items: readonly number[]) => Promise<Outcome<number>[]> = async (items) => items.map((v) => ({ ok: true, value: v * 10 }))) {
  const batches: number[][] = [];
  let running = 0;
  let most = 0;
  const run = async (items: readonly number[]) => {
    batches.push([...items]);
    running++;
    most = Math.max(most, running);
    try {
      await tick();
      await tick();
      return await fn(items);
    } finally {
      running--;
    }
  };
  return { run, batches, most: () => most };
}

describe('group commit', () => {
  it('puts the units submitted in one turn of the event loop in one batch, and answers each its own value', async () => {
    const r = recorder();
    const g = new GroupCommit(r.run, { name: 't', batch_max: 64, concurrency: 1, queue_max: 100, spill_min: 1 });
    const answers = await Promise.all([1, 2, 3, 4, 5].map((v) => g.submit(v)));
    assert.deepEqual(answers, [10, 20, 30, 40, 50]);
    assert.deepEqual(r.batches, [[1, 2, 3, 4, 5]]);
    assert.deepEqual({ ...g.stats, wait_ms: 0, run_ms: 0 }, { batches: 1, units: 5, largest: 5, split: 0, wait_ms: 0, run_ms: 0 });
    assert.ok(g.stats.run_ms > 0 && g.stats.wait_ms >= 0);
  });

  it('runs a lone unit at once, and gathers what arrives while every slot is busy into the next batch', async () => {
    const r = recorder();
    const g = new GroupCommit(r.run, { name: 't', batch_max: 64, concurrency: 1, queue_max: 100, spill_min: 1 });
    const first = g.submit(1);
    await tick(); // the first batch has started
    const later = [2, 3, 4].map((v) => g.submit(v));
    assert.deepEqual(await Promise.all([first, ...later]), [10, 20, 30, 40]);
    assert.deepEqual(r.batches, [[1], [2, 3, 4]]);
  });

  it('never runs more batches at once than its concurrency, nor more units in one than batch_max', async () => {
    const r = recorder();
    const g = new GroupCommit(r.run, { name: 't', batch_max: 3, concurrency: 2, queue_max: 100, spill_min: 1 });
    const all = Array.from({ length: 20 }, (_, i) => g.submit(i));
    await Promise.all(all);
    assert.ok(r.most() <= 2, `at most 2 at once, saw ${r.most()}`);
    assert.ok(r.batches.every((b) => b.length <= 3));
    assert.deepEqual(r.batches.flat().sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i));
  });

  it('starts a batch beside a running one only once spill_min units wait; fewer go together after it', async () => {
    let release!: () => void;
    let gate = new Promise<void>((r) => (release = r));
    const batches: number[][] = [];
    const g = new GroupCommit(
      async (items: readonly number[]) => {
        batches.push([...items]);
        if (items[0] === 1) await gate;
        return items.map((v) => ({ ok: true as const, value: v }));
      },
      { name: 't', batch_max: 64, concurrency: 2, queue_max: 100, spill_min: 3 },
    );
    const first = g.submit(1);
    await tick(); // 1 runs alone: a free slot and nothing running
    const two = [g.submit(2), g.submit(3)];
    await tick();
    await tick();
    assert.deepEqual(batches, [[1]], 'two waiting units do not open the second slot');
    release();
    assert.deepEqual(await Promise.all([first, ...two]), [1, 2, 3]);
    assert.deepEqual(batches, [[1], [2, 3]], 'they went together once the running batch ended');

    // Three waiting units (spill_min) do open the second slot while a batch runs.
    batches.length = 0;
    gate = new Promise<void>((r) => (release = r));
    const again = g.submit(1);
    await tick();
    const three = [g.submit(4), g.submit(5), g.submit(6)];
    assert.deepEqual(await Promise.all(three), [4, 5, 6]);
    assert.deepEqual(batches, [[1], [4, 5, 6]], 'the second batch ran while the first still held its gate');
    release();
    assert.equal(await again, 1);
  });

  it("gives a unit's own refusal to that unit only", async () => {
    const r = recorder(async (items) => items.map((v) => (v === 2 ? { ok: false, error: new Error('no 2') } : { ok: true, value: v })));
    const g = new GroupCommit(r.run, { name: 't', batch_max: 64, concurrency: 1, queue_max: 100, spill_min: 1 });
    const settled = await Promise.allSettled([1, 2, 3].map((v) => g.submit(v)));
    assert.deepEqual(settled.map((s) => s.status), ['fulfilled', 'rejected', 'fulfilled']);
    assert.equal(r.batches.length, 1);
  });

  it('runs every unit of a batch whose transaction failed again alone, so only the cause fails', async () => {
    // The batch fails whenever it holds 13 (a unit that breaks its transaction).
    const r = recorder(async (items) => {
      if (items.includes(13)) throw new Error('13 broke the transaction');
      return items.map((v) => ({ ok: true, value: v }));
    });
    const g = new GroupCommit(r.run, { name: 't', batch_max: 64, concurrency: 1, queue_max: 100, spill_min: 1 });
    const settled = await Promise.allSettled([11, 12, 13, 14].map((v) => g.submit(v)));
    assert.deepEqual(settled.map((s) => s.status), ['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    assert.equal((settled[2] as PromiseRejectedResult).reason.message, '13 broke the transaction');
    assert.deepEqual(r.batches, [[11, 12, 13, 14], [11], [12], [13], [14]]);
    assert.equal(g.stats.split, 1);
  });

  it('refuses at once when the queue is full (the caller answers 503), and takes units again once it drains', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const g = new GroupCommit(
      async (items: readonly number[]) => {
        await gate;
        return items.map((v) => ({ ok: true as const, value: v }));
      },
      { name: 't', batch_max: 1, concurrency: 1, queue_max: 2, spill_min: 1 },
    );
    const a = g.submit(1);
    await tick(); // 1 is running; 2 and 3 wait
    const b = g.submit(2);
    const c = g.submit(3);
    await assert.rejects(g.submit(4), GroupCommitBusy);
    release();
    assert.deepEqual(await Promise.all([a, b, c]), [1, 2, 3]);
    assert.equal(await g.submit(5), 5);
  });

  it('splits units sharing a key into rounds, keeping their order', () => {
    const items = ['a1', 'b1', 'a2', 'c1', 'a3', 'b2'];
    const split = rounds(items, (s) => [s[0]!]);
    assert.deepEqual(split.map((r) => r.map((x) => x.item)), [['a1', 'b1', 'c1'], ['a2', 'b2'], ['a3']]);
    assert.deepEqual(split.flat().map((x) => items[x.index]), split.flat().map((x) => x.item));
  });

  it('puts a unit after every earlier unit it shares any key with', () => {
    // y shares k1 with x (round 0) and k2 with nothing earlier: it must still come after x.
    const split = rounds([{ n: 'x', k: ['k1'] }, { n: 'y', k: ['k2', 'k1'] }, { n: 'z', k: ['k2'] }], (u) => u.k);
    assert.deepEqual(split.map((r) => r.map((x) => x.item.n)), [['x'], ['y'], ['z']]);
  });
});
