/**
 * Runs `task` once soon after start (a minute, or `everyMs` if shorter, so that a service
 * restarting in a loop does not run it in a loop too) and then every `everyMs`, never two runs at
 * once; the returned function stops it. A failed run is the task's to report: it is simply tried
 * again on the next turn. The timers do not keep the process alive.
 */
export function startPeriodic(task: () => Promise<void>, everyMs: number): () => void {
  let running = false;
  const run = () => {
    if (running) return;
    running = true;
    task()
      .catch(() => undefined)
      .finally(() => {
        running = false;
      });
  };
  const first = setTimeout(run, Math.min(everyMs, 60_000));
  const timer = setInterval(run, everyMs);
  first.unref();
  timer.unref();
  return () => {
    clearTimeout(first);
    clearInterval(timer);
  };
}
