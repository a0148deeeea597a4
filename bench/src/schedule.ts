/**
 * Open-model load: sends are planned at a fixed arrival rate before the run starts, and each
 * delivery's latency is measured from its planned send time. When the system (or the load
 * generator) falls behind, the late sends count their wait, so queueing shows in the figures
 * instead of being hidden by a sender that waits for answers (coordinated omission).
 */

/** Planned send times, in ms after the start: `count` sends spaced 1000 / rate ms apart. */
export function plannedOffsets(ratePerSecond: number, durationMs: number): number[] {
  if (!(ratePerSecond > 0) || !(durationMs > 0)) return [];
  const interval = 1000 / ratePerSecond;
  const count = Math.floor((durationMs * ratePerSecond) / 1000);
  return Array.from({ length: count }, (_, i) => i * interval);
}

export interface ScheduleResult {
  /** Planned time of each send (ms on the `now` clock). */
  planned: number[];
  /** How late each send actually went out, in ms (the load generator's own lag). */
  lagMs: number[];
}

export interface ScheduleClock {
  now(): number;
  /** Waits about `ms` milliseconds (0: yield to I/O). */
  sleep(ms: number): Promise<void>;
}

export const realClock: ScheduleClock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => (ms > 1 ? setTimeout(resolve, ms - 1) : setImmediate(resolve))),
};

/**
 * Calls `send(i, plannedAt)` for every planned send once its time has come, catching up on all
 * that are due at once when it wakes late, and never waiting for a send to finish.
 */
export async function runSchedule(
  ratePerSecond: number,
  durationMs: number,
  send: (index: number, plannedAt: number) => void,
  clock: ScheduleClock = realClock,
): Promise<ScheduleResult> {
  const start = clock.now() + 5;
  const planned = plannedOffsets(ratePerSecond, durationMs).map((offset) => start + offset);
  const lagMs: number[] = new Array(planned.length);
  let next = 0;
  while (next < planned.length) {
    const now = clock.now();
    while (next < planned.length && (planned[next] as number) <= now) {
      lagMs[next] = clock.now() - (planned[next] as number);
      send(next, planned[next] as number);
      next += 1;
    }
    if (next < planned.length) await clock.sleep(Math.max(0, (planned[next] as number) - clock.now()));
  }
  return { planned, lagMs };
}
