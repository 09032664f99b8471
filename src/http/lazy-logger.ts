/**
 * A request's child logger, made only when the request logs something at an enabled level.
 *
 * Fastify gives every request `logger.child({ reqId })`; with pino's redaction configured that
 * child costs as much as the rest of a cached status poll's work, and almost no request logs at
 * the production level (warn/error are the exceptions). The wrapper answers disabled levels
 * without the child and builds it on the first enabled call, so what is logged is unchanged:
 * same bindings, same serializers, same redaction.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { Bindings, ChildLoggerOptions } from 'pino';

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
type ParentLogger = FastifyBaseLogger & { isLevelEnabled?: (level: string) => boolean };

class LazyChildLogger {
  private made: FastifyBaseLogger | undefined;

  constructor(
    private readonly parent: ParentLogger,
    private readonly bindings: Bindings,
    private readonly opts: ChildLoggerOptions,
  ) {}

  private real(): FastifyBaseLogger {
    return (this.made ??= this.parent.child(this.bindings, this.opts));
  }

  private enabled(level: Level): boolean {
    return this.made ? (this.made as ParentLogger).isLevelEnabled?.(level) ?? true : this.parent.isLevelEnabled?.(level) ?? true;
  }

  get level(): string {
    return this.made?.level ?? this.parent.level;
  }

  set level(level: string) {
    this.real().level = level;
  }

  /** Log at `level` if it is enabled (the child is made then, once). */
  write(level: Level, args: unknown[]): void {
    if (this.enabled(level)) (this.real()[level] as (...a: unknown[]) => void)(...args);
  }

  silent(): void {}

  child(bindings: Bindings, opts?: ChildLoggerOptions): FastifyBaseLogger {
    return this.real().child(bindings, opts);
  }
}

const LEVELS: readonly Level[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'];
for (const level of LEVELS) {
  Object.defineProperty(LazyChildLogger.prototype, level, {
    value(this: LazyChildLogger, ...args: unknown[]) {
      this.write(level, args);
    },
  });
}

/** Fastify's `childLoggerFactory`: a per-route log level needs the real child at once. */
export function lazyChildLoggerFactory(logger: FastifyBaseLogger, bindings: Bindings, opts: ChildLoggerOptions): FastifyBaseLogger {
  if (opts && Object.keys(opts).length > 0) return logger.child(bindings, opts);
  return new LazyChildLogger(logger as ParentLogger, bindings, opts) as unknown as FastifyBaseLogger;
}
