/**
 * Refusals of a send that pass by themselves, each with the gateway's `retryAfterMs`: too many
 * sends from the user, or too many waiting for the chat service on this gateway.
 */
const PASSING_REFUSALS = new Set(['RATE_LIMITED', 'REALTIME_SEND_QUEUE_FULL']);

const LONGEST_WAIT_MS = 60_000;

/**
 * How long to wait before sending the same message again, or undefined when retrying is no use.
 * Up to half again is added at random, so that clients refused together do not all come back at
 * the same moment.
 */
export function sendRetryDelay(
  code: string | undefined,
  retryAfterMs: number | undefined,
  random: () => number = Math.random,
): number | undefined {
  if (!code || !PASSING_REFUSALS.has(code)) return undefined;
  const wait = Math.min(retryAfterMs ?? 1_000, LONGEST_WAIT_MS);
  return Math.round(wait * (1 + random() / 2));
}
