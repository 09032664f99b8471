import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { Database } from '../store/db.js';

/** What every use case may touch: the database (and its one transaction helper), time, config, logs. */
export interface Ctx {
  readonly database: Database;
  readonly clock: Clock;
  readonly config: Config;
  readonly log: Logger;
}
