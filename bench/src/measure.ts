import type { RunResult, RunSpec } from './loadgen/protocol';
import type { LoadGenerator } from './loadgen/driver';
import { CpuMeter, cpuSeconds, round, total } from './proc';
import type { BenchSettings } from './settings';
import { type Spread, spread } from './stats';

/** One run with what every process used meanwhile. */
export interface RunRecord extends RunResult {
  wallSeconds: number;
  /**
   * How long the servers took to settle after the run (a target with `settle`): the work the
   * run's messages left behind (indexing, statistics, notifications) is in `serverCpu` too.
   */
  tailSeconds: number;
  serverCpu: Record<string, number>;
  loadgenCpu: number;
}

/** A configuration measured several times at one rate: each figure the median of the runs. */
export interface Measurement {
  config: string;
  rate: number;
  deliveriesPerSecond: Spread;
  p50Ms: Spread;
  p99Ms: Spread;
  lossRatio: Spread;
  /** Server CPU milliseconds per 1,000 deliveries. */
  cpuMsPerThousand: Spread;
  deliveriesPerCpuSecond: Spread;
  /** Share of one core the load generator used. */
  loadgenCores: Spread;
  serverCores: Spread;
  runs: RunRecord[];
}

export interface Target {
  config: string;
  loadgen: LoadGenerator;
  /** The server processes whose CPU counts, by name (their pids are read at each run). */
  serverPids: () => Record<string, number>;
  /** The run, less the rate and identity. */
  spec: Omit<RunSpec, 'runId' | 'rate' | 'durationMs' | 'drainMs'>;
  /**
   * Resolves once the servers are at rest. Each run then starts from rest, not in the backlog an
   * earlier run left, and its CPU counts until its own backlog is done.
   */
  settle?: () => Promise<void>;
}

let runCounter = 0;

export async function runOnce(target: Target, rate: number, durationMs: number, drainMs: number) {
  await target.settle?.();
  const meter = new CpuMeter(target.serverPids()).start();
  const loadgenBefore = cpuSeconds(target.loadgen.pid);
  const started = performance.now();
  const result = await target.loadgen.run({
    ...target.spec,
    runId: `r${++runCounter}`,
    rate,
    durationMs,
    drainMs,
  });
  const ran = performance.now();
  await target.settle?.();
  const record: RunRecord = {
    ...result,
    wallSeconds: round((ran - started) / 1000, 3),
    tailSeconds: round((performance.now() - ran) / 1000, 3),
    serverCpu: meter.stop(),
    loadgenCpu: round(cpuSeconds(target.loadgen.pid) - loadgenBefore, 3),
  };
  return record;
}

export function lossRatio(run: RunResult): number {
  return run.expected === 0 ? 0 : (run.expected - run.received) / run.expected;
}

/** Whether a run kept up: nothing lost or refused, and its 99th percentile within the limit. */
export function healthy(run: RunResult, p99LimitMs: number): boolean {
  return run.received === run.expected && run.errors === 0 && run.latencyMs.p99 <= p99LimitMs;
}

export function describe(run: RunRecord): string {
  const loss = lossRatio(run);
  return (
    `${run.rate.toFixed(0)} msg/s: ${run.deliveriesPerSecond.toFixed(0)} deliveries/s, ` +
    `p50 ${run.latencyMs.p50.toFixed(1)} ms, p99 ${run.latencyMs.p99.toFixed(1)} ms, ` +
    (run.stagesMs
      ? `(chat stamped it after ${run.stagesMs.toStoredP50.toFixed(1)} ms, delivered ` +
        `${run.stagesMs.storedToDeliveredP50.toFixed(1)} ms after that), `
      : '') +
    `lost ${(loss * 100).toFixed(2)}%${run.errors ? `, ${run.errors} refused (${run.firstError})` : ''}, ` +
    `server CPU ${total(run.serverCpu).toFixed(2)} s` +
    (run.tailSeconds > 0 ? ` (settled ${run.tailSeconds.toFixed(1)} s after the run)` : '') +
    `, load generator ${run.loadgenCpu.toFixed(2)} s`
  );
}

export interface SearchStep {
  rate: number;
  healthy: boolean;
  p99Ms: number;
  lossRatio: number;
  /** A rate the search found, given up after its measured runs (their median p99 and loss). */
  measured?: boolean;
  /** Server CPU milliseconds per message sent, by process (settling after the step included). */
  cpuMsPerMessage?: Record<string, number>;
}

/** A run's server CPU per message sent, by process, in milliseconds. */
export function cpuPerMessage(run: RunRecord): Record<string, number> {
  return Object.fromEntries(
    Object.entries(run.serverCpu).map(([name, seconds]) => [
      name,
      round((seconds * 1000) / Math.max(1, run.sent), 3),
    ]),
  );
}

/**
 * The highest rate that stays healthy: starts at `startRate`, multiplies by the factor after each
 * healthy step and stops at the first unhealthy one (going down instead while none was healthy).
 * A step that fails after a healthy one is tried once more before the search stops there: on a
 * shared machine one slow step of a few seconds is often the machine, not the rate, and the climb
 * should not end on it. Both tries are listed.
 */
export async function searchRate(
  target: Target,
  startRate: number,
  settings: BenchSettings,
  log: (text: string) => void,
  probe: (rate: number) => Promise<RunRecord> = (rate) =>
    runOnce(target, rate, settings.searchStepMs, settings.drainMs),
): Promise<{ rate: number; steps: SearchStep[] }> {
  const steps: SearchStep[] = [];
  let rate = startRate;
  let best: number | undefined;
  const tryRate = async (again: boolean) => {
    const run = await probe(rate);
    const ok = healthy(run, settings.p99LimitMs);
    steps.push({
      rate,
      healthy: ok,
      p99Ms: run.latencyMs.p99,
      lossRatio: lossRatio(run),
      cpuMsPerMessage: cpuPerMessage(run),
    });
    log(
      `  search ${target.config}${again ? ' (again)' : ''}: ${describe(run)} -> ${ok ? 'holds' : 'too much'}`,
    );
    return ok;
  };
  for (let i = 0; i < settings.searchMaxSteps; i++) {
    let ok = await tryRate(false);
    if (!ok && best !== undefined) ok = await tryRate(true);
    if (ok) {
      best = rate;
      rate = Math.round(rate * settings.searchFactor);
    } else if (best === undefined) {
      rate = Math.max(1, Math.round(rate / (settings.searchFactor * settings.searchFactor)));
    } else {
      break;
    }
  }
  return { rate: best ?? rate, steps };
}

/** Runs the target `settings.runs` times at one rate and summarises each figure as median and spread. */
export async function measure(
  target: Target,
  rate: number,
  settings: BenchSettings,
  log: (text: string) => void,
): Promise<Measurement> {
  const runs: RunRecord[] = [];
  for (let i = 0; i < settings.runs; i++) {
    const run = await runOnce(target, rate, settings.runMs, settings.drainMs);
    log(`  ${target.config} run ${i + 1}/${settings.runs}: ${describe(run)}`);
    runs.push(run);
  }
  return summariseRuns(target.config, rate, runs);
}

/**
 * Measures at the rate the search found, and confirms it: the rate counts as sustainable only when
 * at least half of the measured runs hold (as a search step must). Otherwise the next lower rate
 * that held in the search is measured instead, and so on. The search decides on one short step
 * per rate, and a lucky step (or a lucky second try) must not set the figure. `before` runs before
 * each measurement (a wait for rest, a counter reading). The rates given up are added to `steps`.
 */
export async function measureSustainable(
  target: Target,
  search: { rate: number; steps: SearchStep[] },
  settings: BenchSettings,
  log: (text: string) => void,
  before: () => Promise<void> = async () => undefined,
): Promise<{ rate: number; steps: SearchStep[]; measurement: Measurement }> {
  const steps = [...search.steps];
  const lower = [...new Set(steps.filter((s) => s.healthy && s.rate < search.rate).map((s) => s.rate))].sort(
    (a, b) => b - a,
  );
  let rate = search.rate;
  for (;;) {
    await before();
    const measurement = await measure(target, rate, settings, log);
    const held = measurement.runs.filter((run) => healthy(run, settings.p99LimitMs)).length;
    const next = lower.shift();
    if (held * 2 >= measurement.runs.length || next === undefined) return { rate, steps, measurement };
    log(
      `  ${target.config}: only ${held} of ${measurement.runs.length} runs held at ${rate} msg/s; ` +
        `measuring ${next} msg/s instead`,
    );
    steps.push({
      rate,
      healthy: false,
      p99Ms: measurement.p99Ms.median,
      lossRatio: measurement.lossRatio.median,
      measured: true,
    });
    rate = next;
  }
}

export function summariseRuns(config: string, rate: number, runs: RunRecord[]): Measurement {
  const of = (f: (r: RunRecord) => number) => spread(runs.map(f));
  return {
    config,
    rate,
    deliveriesPerSecond: of((r) => r.deliveriesPerSecond),
    p50Ms: of((r) => r.latencyMs.p50),
    p99Ms: of((r) => r.latencyMs.p99),
    lossRatio: of(lossRatio),
    cpuMsPerThousand: of((r) => (total(r.serverCpu) * 1000 * 1000) / Math.max(1, r.received)),
    deliveriesPerCpuSecond: of((r) => r.received / Math.max(0.001, total(r.serverCpu))),
    loadgenCores: of((r) => r.loadgenCpu / r.wallSeconds),
    serverCores: of((r) => total(r.serverCpu) / (r.wallSeconds + r.tailSeconds)),
    runs,
  };
}
