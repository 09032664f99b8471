/** Group-commit settings: defaults, and bounds refused at start rather than misbehaving under load. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../src/config.js';

const load = (env: Record<string, string>) => loadConfig(env as NodeJS.ProcessEnv);

describe('group-commit configuration', () => {
  it('defaults to batches of 64, two in flight per stage, the second once 16 units wait', () => {
    assert.deepEqual(load({}).group_commit, { batch_max: 64, concurrency: 2, spill_min: 16 });
    assert.deepEqual(load({ GROUP_COMMIT_SPILL: '1', GROUP_COMMIT_CONCURRENCY: '4' }).group_commit, { batch_max: 64, concurrency: 4, spill_min: 1 });
  });

  it('refuses values outside their bounds', () => {
    for (const [env, message] of [
      [{ GROUP_COMMIT_SPILL: '0' }, /GROUP_COMMIT_SPILL must be 1–256/],
      [{ GROUP_COMMIT_SPILL: '2.5' }, /GROUP_COMMIT_SPILL must be 1–256/],
      [{ GROUP_COMMIT_MAX: '1000' }, /GROUP_COMMIT_MAX must be 1–256/],
      [{ GROUP_COMMIT_CONCURRENCY: '0' }, /GROUP_COMMIT_CONCURRENCY must be 1–64/],
    ] as const) {
      assert.throws(() => load(env), message);
    }
  });
});
