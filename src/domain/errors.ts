/**
 * The one error type the server raises on purpose. The HTTP layer maps each kind to the
 * docs' status and shape; anything else that escapes is a bug and becomes a 500 with an error id.
 */

export type Loc = readonly (string | number)[];

export interface DetailItem {
  loc: (string | number)[];
  msg: string;
  type: string;
}

export type ErrorKind = 'validation' | 'not_found' | 'unauthenticated' | 'unauthorized' | 'forbidden' | 'conflict' | 'rate_limited' | 'too_large';

export class DomainError extends Error {
  constructor(
    readonly kind: ErrorKind,
    readonly detail: string | DetailItem[],
    readonly headers: Record<string, string> = {},
  ) {
    super(typeof detail === 'string' ? detail : detail.map((d) => `${d.loc.join('.')}: ${d.msg}`).join('; '));
    this.name = 'DomainError';
  }
}

/** 422 with one or more `detail` items. */
export function invalid(loc: Loc, msg: string, type = 'value_error'): DomainError {
  return new DomainError('validation', [{ loc: [...loc], msg, type }]);
}

export function invalidMany(items: DetailItem[]): DomainError {
  if (items.length === 0) throw new Error('assertion: invalidMany needs at least one item');
  return new DomainError('validation', items);
}

/** 404 {"detail":"Not Found"} — also for ids that belong to another merchant. */
export function notFound(): DomainError {
  return new DomainError('not_found', 'Not Found');
}

export function forbidden(msg: string): DomainError {
  return new DomainError('forbidden', msg);
}

export function conflict(msg: string): DomainError {
  return new DomainError('conflict', msg);
}

/** Collects field problems so one request reports all of them, not only the first. */
export class Problems {
  readonly items: DetailItem[] = [];
  add(loc: Loc, msg: string, type = 'value_error'): void {
    this.items.push({ loc: [...loc], msg, type });
  }
  get empty(): boolean {
    return this.items.length === 0;
  }
  throwIfAny(): void {
    if (this.items.length > 0) throw invalidMany(this.items);
  }
}
