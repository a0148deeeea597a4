import { Context } from '@temporalio/activity';

/**
 * How often an attempt says it is alive. Well inside every heartbeatTimeout the workflows set
 * (15 s for media), so a slow but healthy step is never taken for a dead one; the SDK throttles
 * what it sends on to the server anyway.
 */
export const LIVENESS_MS = 3_000;

/**
 * Runs one activity attempt, heartbeating from its start and then every few seconds until it
 * ends. The workflow's heartbeatTimeout then notices a worker that died mid-attempt within
 * seconds, where its startToCloseTimeout (the bound on a slow but living attempt) takes minutes.
 */
export async function whileAlive<T>(work: () => Promise<T>): Promise<T> {
  const context = Context.current();
  context.heartbeat();
  const timer = setInterval(() => context.heartbeat(), LIVENESS_MS);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

type Activities = Record<string, (...args: never[]) => Promise<unknown>>;

/** The same activities, each attempt of which heartbeats while it runs (see `whileAlive`). */
export function heartbeating<A extends Activities>(activities: A): A {
  const alive = Object.entries(activities).map(([name, activity]) => [
    name,
    (...args: never[]) => whileAlive(() => activity(...args)),
  ]);
  return Object.fromEntries(alive) as A;
}
