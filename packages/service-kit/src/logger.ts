import pino, { type Logger } from 'pino';

export type { Logger };

/** Header and field paths that must never reach a log line. */
const redact = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["dapr-api-token"]',
  'req.headers["x-ops-token"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.token',
];

/** The root logger of a process: JSON lines with the service name on each. */
export function createLogger(service: string, level = 'info'): Logger {
  return pino({ name: service, level, redact: { paths: redact, censor: '[redacted]' } });
}
