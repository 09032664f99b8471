import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { lazyChildLoggerFactory } from '../../src/http/lazy-logger.js';

function capture(level: string) {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level, redact: { paths: ['secret'], censor: '[redacted]' } }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  return { log, lines };
}

describe('lazy request logger', () => {
  it('logs enabled levels with the request bindings and redaction, and skips the rest', () => {
    const { log, lines } = capture('warn');
    const child = lazyChildLoggerFactory(log, { reqId: 'r-1' }, {});
    child.info('not written');
    child.debug('not written');
    child.warn({ secret: 'hunter2' }, 'written');
    child.error('also written');
    assert.deepEqual(
      lines.map((l) => [l.level, l.reqId, l.msg, l.secret]),
      [
        [40, 'r-1', 'written', '[redacted]'],
        [50, 'r-1', 'also written', undefined],
      ],
    );
  });

  it('answers the level and makes real grandchildren', () => {
    const { log, lines } = capture('info');
    const child = lazyChildLoggerFactory(log, { reqId: 'r-2' }, {});
    assert.equal(child.level, 'info');
    child.child({ step: 'x' }).info('deep');
    assert.deepEqual([lines[0]!.reqId, lines[0]!.step, lines[0]!.msg], ['r-2', 'x', 'deep']);
  });

  it('honours a per-route level at once', () => {
    const { log, lines } = capture('warn');
    const child = lazyChildLoggerFactory(log, { reqId: 'r-3' }, { level: 'debug' });
    child.debug('route debug');
    assert.equal(lines[0]!.msg, 'route debug');
  });
});
