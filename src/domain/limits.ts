/**
 * Limits on the merchant's objects, in one place. Every limit is enforced at the edge (the route
 * schema says it, so /openapi.json documents it) or, where it needs stored data (items per source,
 * total of a source), by the use case — always with a 422 that names the field and the fix.
 */

export const FULLNAME_LENGTH_MAX = 200;
export const EMAIL_LENGTH_MAX = 254; // RFC 5321 path limit
export const ACCOUNT_NAME_LENGTH_MAX = 200;
export const ACCOUNT_NUMBER_LENGTH_MAX = 64;
export const NOTE_LENGTH_MAX = 1000;
export const ITEM_NAME_LENGTH_MAX = 200;
/** The merchant's own reference on an invoice/order (free text, not the execution UUID). */
export const REFERENCE_LENGTH_MAX = 128;
export const SOURCE_NUMBER_LENGTH_MAX = 32;
export const URL_LENGTH_MAX = 2048;

export const ITEMS_PER_SOURCE_MAX = 100;
export const ITEM_QTY_MAX = 10_000;

/** Hosted checkout links live 24 h unless the caller says otherwise, and never more than 30 days. */
export const CHECKOUT_TTL_DEFAULT_MS = 24 * 60 * 60 * 1000;
export const CHECKOUT_TTL_MAX_MS = 30 * 24 * 60 * 60 * 1000;
