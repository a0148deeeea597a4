import type { Logger } from '@parley/service-kit';
import type { Redis } from 'ioredis';

/**
 * Logs a Redis connection's failure once per outage, at warn: ioredis retries by itself and reports
 * every failed attempt, and without a listener it prints each one as unhandled.
 */
export function reportOutages(connection: Redis, logger: Logger, message: string, fields: object = {}): void {
  let reported = false;
  connection.on('error', (err: Error) => {
    if (reported) return;
    reported = true;
    logger.warn({ err, ...fields }, message);
  });
  connection.on('ready', () => {
    reported = false;
  });
}
