import type { AccountBook } from '../ledger/ledger.js';
import type { AuthService } from './auth.js';
import type { Ctx } from './context.js';
import type { StatusHub } from './events.js';
import type { FinalExecutions } from './final-executions.js';
import type { Pricer } from './pricing.js';
import type { RateLimiter } from './rate-limit.js';
import type { Carriers, SettlementDeps } from './settlement.js';
import type { GroupCommit } from '../store/group-commit.js';
import type { StartUnit, Started } from './executions.js';
import type { ExecutionStatusRow, ReferenceKey } from '../store/executions.js';

/** The stateful parts a request may use; use cases themselves are plain functions taking these. */
export interface Services {
  readonly ctx: Ctx;
  readonly auth: AuthService;
  readonly limiter: RateLimiter;
  readonly book: AccountBook;
  readonly carriers: Carriers;
  readonly pricer: Pricer;
  readonly settlement: SettlementDeps;
  readonly hub: StatusHub;
  /** Final executions' status answers, per instance. */
  readonly finals: FinalExecutions;
  /** Executions waiting to start, a batch per transaction (executions.ts startBatch). */
  readonly starts: GroupCommit<StartUnit, Started>;
  /** Status polls of open executions, read together in one statement (executions.ts readStatusBatch). */
  readonly statusReads: GroupCommit<ReferenceKey, ExecutionStatusRow | undefined>;
}
