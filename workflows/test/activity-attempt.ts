import { CancelledFailure, Context, type Info, asyncLocalStorage } from '@temporalio/activity';

/** One activity attempt as the worker would run it: what it heartbeated and how to cancel it. */
export interface Attempt {
  heartbeats: unknown[];
  cancel(): void;
}

const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

/**
 * Runs `fn` as attempt `attempt` of an activity whose earlier attempt left `heartbeatDetails`,
 * the way the worker does: `Context.current()` answers inside it, heartbeats are kept for the
 * test, and `cancel()` cancels the attempt as a timeout or the workflow would.
 */
export async function runAttempt<T>(
  options: { attempt?: number; heartbeatDetails?: unknown },
  fn: (attempt: Attempt) => Promise<T>,
): Promise<{ result: T; heartbeats: unknown[] }> {
  const heartbeats: unknown[] = [];
  const abort = new AbortController();
  let reject: (err: unknown) => void = () => {};
  const cancelled = new Promise<never>((_, no) => (reject = no));
  cancelled.catch(() => {});
  const info = {
    taskToken: new Uint8Array(),
    base64TaskToken: '',
    activityId: '1',
    activityType: 'test',
    activityNamespace: 'default',
    namespace: 'default',
    attempt: options.attempt ?? 1,
    isLocal: false,
    scheduledTimestampMs: Date.now(),
    scheduleToCloseTimeoutMs: 0,
    startToCloseTimeoutMs: 30_000,
    currentAttemptScheduledTimestampMs: Date.now(),
    heartbeatTimeoutMs: 10_000,
    heartbeatDetails: options.heartbeatDetails,
    taskQueue: 'test',
    inWorkflow: true,
  } as Info;
  const context = new Context(
    info,
    cancelled,
    abort.signal,
    (details?: unknown) => heartbeats.push(details),
    undefined,
    quiet,
    undefined as never,
    { details: undefined } as never,
  );
  const attempt: Attempt = {
    heartbeats,
    cancel() {
      reject(new CancelledFailure('CANCELLED'));
      abort.abort();
    },
  };
  const result = await asyncLocalStorage.run(context, () => fn(attempt));
  return { result, heartbeats };
}

/**
 * Runs attempts of `fn` until one succeeds (at most `max`), each from the heartbeat details the
 * last failed attempt left, as Temporal retries an activity whose attempts throw.
 */
export async function retried<T>(fn: () => Promise<T>, max = 5): Promise<{ result: T; attempts: number }> {
  let details: unknown;
  for (let attempt = 1; ; attempt += 1) {
    const heartbeats: unknown[] = [];
    try {
      const { result } = await runAttempt({ attempt, heartbeatDetails: details }, async (a) => {
        try {
          return await fn();
        } finally {
          heartbeats.push(...a.heartbeats);
        }
      });
      return { result, attempts: attempt };
    } catch (err) {
      if (attempt >= max) throw err;
      if (heartbeats.length > 0) details = heartbeats.at(-1);
    }
  }
}

/** The same activities, each call run as a first attempt (see `runAttempt`), heartbeats dropped. */
export function asAttempts<A extends Record<string, (...args: never[]) => Promise<unknown>>>(
  activities: A,
): A {
  const attempts = Object.entries(activities).map(([name, activity]) => [
    name,
    async (...args: never[]) => (await runAttempt({}, () => activity(...args))).result,
  ]);
  return Object.fromEntries(attempts) as A;
}
