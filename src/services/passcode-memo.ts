/**
 * A process-local memo of payout passcodes that passed the slow (scrypt) check: a keyed HMAC under
 * a random per-process key, bound to the stored hash it was checked against (a new passcode or
 * phone invalidates it) and to a short lifetime. A merchant firing many payouts at once pays the
 * slow hash once per instance instead of once per payout, and correct codes never queue behind
 * the bounded wrong-attempt slots. Only positive outcomes are remembered: a wrong code always goes
 * through the counted, slow path. Losing the memo (restart, another instance) only costs time.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const KEY = randomBytes(32);
const PASSCODE_MEMO_TTL_MS = 10 * 60_000;
const ENTRIES_MAX = 10_000;

interface Entry {
  tag: Buffer;
  expires_at_ms: number;
}

const entries = new Map<number, Entry>();

function tagOf(merchant_id: number, stored_hash: string, identity: string, code: string): Buffer {
  return createHmac('sha256', KEY).update(`${merchant_id}\u0000${stored_hash}\u0000${identity}\u0000${code}`).digest();
}

export function passcodeRemembered(merchant_id: number, stored_hash: string, identity: string, code: string, now_ms = Date.now()): boolean {
  const e = entries.get(merchant_id);
  if (!e) return false;
  if (e.expires_at_ms <= now_ms) {
    entries.delete(merchant_id);
    return false;
  }
  return timingSafeEqual(e.tag, tagOf(merchant_id, stored_hash, identity, code));
}

export function rememberPasscode(merchant_id: number, stored_hash: string, identity: string, code: string, now_ms = Date.now()): void {
  entries.delete(merchant_id); // re-insert: Map order is the eviction order
  if (entries.size >= ENTRIES_MAX) entries.delete(entries.keys().next().value!);
  entries.set(merchant_id, { tag: tagOf(merchant_id, stored_hash, identity, code), expires_at_ms: now_ms + PASSCODE_MEMO_TTL_MS });
}
