import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SOURCE_STATUSES, type SourceStatus } from '../../src/domain/enums.js';
import { ITEMS_PER_SOURCE_MAX } from '../../src/domain/limits.js';
import {
  checkItems,
  formatSourceNumber,
  itemsTotalMinor,
  itemView,
  SOURCE_ACTIONS,
  SOURCE_KINDS,
  sourceTransition,
  sourceView,
  unsupportedSourceType,
} from '../../src/domain/sources.js';

describe('source state machine', () => {
  // Every (status, action) pair: the documented table, and nothing else.
  const allowed: Record<string, SourceStatus> = {
    'IDLE/edit': 'IDLE',
    'IDLE/publish': 'ACTIVE',
    'IDLE/cancel': 'CANCELED',
    'ACTIVE/cancel': 'CANCELED',
    'ACTIVE/start_payment': 'PROCESSING',
    'PROCESSING/settle': 'PAID',
    'PROCESSING/payment_failed': 'ACTIVE',
  };

  it('allows exactly the documented transitions', () => {
    for (const status of SOURCE_STATUSES) {
      for (const action of SOURCE_ACTIONS) {
        const t = sourceTransition(status, action, 'invoice');
        const expected = allowed[`${status}/${action}`];
        if (expected) assert.deepEqual(t, { ok: true, status: expected }, `${status}/${action}`);
        else {
          assert.equal(t.ok, false, `${status}/${action} must be refused`);
          if (!t.ok) assert.ok(t.reason.length > 10, `${status}/${action} says why`);
        }
      }
    }
  });

  it('explains the refusals a client meets', () => {
    const reason = (s: SourceStatus, a: (typeof SOURCE_ACTIONS)[number]) => {
      const t = sourceTransition(s, a, 'invoice');
      return t.ok ? '' : t.reason;
    };
    assert.match(reason('PROCESSING', 'cancel'), /payment is in flight/);
    assert.match(reason('PAID', 'cancel'), /paid invoice cannot be canceled/);
    assert.match(reason('CANCELED', 'cancel'), /already canceled/);
    assert.match(reason('ACTIVE', 'edit'), /only an IDLE/);
    assert.match(reason('IDLE', 'start_payment'), /publish the invoice/);
    assert.match(reason('CANCELED', 'start_payment'), /canceled invoice cannot be paid/);
    assert.match(reason('ACTIVE', 'settle'), /no payment is in flight/);
  });

  it('refuses SUBSCRIPTION (and anything else) as a source type', () => {
    assert.equal(unsupportedSourceType('INVOICE'), undefined);
    assert.equal(unsupportedSourceType('ORDER'), undefined);
    assert.match(unsupportedSourceType('SUBSCRIPTION')!, /not supported/);
  });
});

describe('source numbers', () => {
  it('reads PREFIX-YYYY-NNNNN and widens past 99999', () => {
    assert.equal(formatSourceNumber('INVOICE', 2026, 1), 'INV-2026-00001');
    assert.equal(formatSourceNumber('ORDER', 2026, 88), 'ORD-2026-00088');
    assert.equal(formatSourceNumber('INVOICE', 2027, 123456), 'INV-2027-123456');
    assert.throws(() => formatSourceNumber('INVOICE', 2026, 0));
  });
});

describe('source totals', () => {
  it('are exact in minor units', () => {
    assert.equal(itemsTotalMinor([{ qty: 3, unit_amount_minor: 1999n }]), 5997n); // 3 × 19.99 = 59.97
    assert.equal(itemsTotalMinor([{ qty: 1, unit_amount_minor: 10n }, { qty: 1, unit_amount_minor: 20n }]), 30n); // 0.10 + 0.20 = 0.30
    assert.equal(itemsTotalMinor([]), 0n);
  });

  it('refuse more items than allowed and totals past the money maximum', () => {
    const many = Array.from({ length: ITEMS_PER_SOURCE_MAX + 1 }, () => ({ qty: 1, unit_amount_minor: 1n }));
    const tooMany = checkItems(many, 'USD', 'invoice');
    assert.equal(tooMany.ok, false);
    assert.deepEqual(checkItems(many.slice(1), 'USD', 'invoice'), { ok: true, total_minor: 100n });
    // 10^12 USD is the largest accepted amount: 10 000 × 10^8 USD is exactly it, one cent more is not.
    assert.deepEqual(checkItems([{ qty: 10_000, unit_amount_minor: 10n ** 10n }], 'USD', 'invoice'), { ok: true, total_minor: 10n ** 14n });
    const over = checkItems([{ qty: 10_000, unit_amount_minor: 10n ** 10n }, { qty: 1, unit_amount_minor: 1n }], 'USD', 'order');
    assert.ok(!over.ok && over.problem === 'total_too_large' && /order total would exceed/.test(over.msg));
    assert.equal(checkItems([{ qty: 1, unit_amount_minor: 10n ** 12n }], 'RWF', 'order').ok, true);
  });
});

describe('source views', () => {
  const at = new Date('2026-01-15T12:00:00.000Z');
  const row = {
    id: 7,
    number: 'INV-2026-00001',
    counterparty_id: 3,
    currency: 'USD',
    total_amount_minor: 5997n,
    status: 'IDLE',
    note: 'n',
    fee_bearer: 'PAYER',
    due_date: null,
    as_payment_link: true,
    reference_id: null,
    paid_at: null,
    created_at: at,
    updated_at: at,
  };
  const owner = { owner_id: 1, owner_type: 'ORGANIZATION' };

  it('name the number and id fields per kind; only invoices have a due date', () => {
    const invoice = sourceView(SOURCE_KINDS.INVOICE, row, owner);
    assert.equal(invoice.invoice_number, 'INV-2026-00001');
    assert.equal(invoice.total_amount, 59.97);
    assert.ok('due_date' in invoice);
    const order = sourceView(SOURCE_KINDS.ORDER, { ...row, number: 'ORD-2026-00001' }, owner);
    assert.equal(order.order_number, 'ORD-2026-00001');
    assert.ok(!('due_date' in order) && !('invoice_number' in order));
    const item = { id: 1, source_id: 7, name: 'x', currency: 'RWF', qty: 2, unit_amount_minor: 1500n, created_at: at, updated_at: at };
    assert.deepEqual(itemView(SOURCE_KINDS.ORDER, item), { id: 1, order_id: 7, name: 'x', currency: 'RWF', qty: 2, amount: 1500, created_at: at, updated_at: at });
  });
});
