import type { BenchResults } from './types';

/** One goal of the issue, evaluated on this run's figures. */
export interface GoalResult {
  goal: string;
  target: string;
  measured: string;
  /** true: met; false: missed; null: not measured in this run. */
  met: boolean | null;
  /** For a missed goal: by how much, in words. */
  shortfall?: string;
}

const ms = (v: number) => `${v.toFixed(1)} ms`;
const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

function goal(
  text: string,
  target: string,
  value: number | undefined,
  format: (v: number) => string,
  ok: (v: number) => boolean,
  shortfall: (v: number) => string,
): GoalResult {
  if (value === undefined || !Number.isFinite(value))
    return { goal: text, target, measured: 'not measured', met: null };
  const met = ok(value);
  return {
    goal: text,
    target,
    measured: format(value),
    met,
    ...(met ? {} : { shortfall: shortfall(value) }),
  };
}

/** Evaluates every goal of the issue that this run measured. */
export function evaluateGoals(r: BenchResults): GoalResult[] {
  const { full, bare, centrifugo, dapr } = r;
  const goals: GoalResult[] = [];

  const rateRatio = full && bare ? full.sustainableRate / bare.sustainableRate : undefined;
  goals.push(
    goal(
      'Full stack sustains a share of the bare Socket.IO message rate',
      'at least 25% (aim 40%)',
      rateRatio,
      (v) => `${pct(v)} (${full?.sustainableRate} vs ${bare?.sustainableRate} msg/s)`,
      (v) => v >= 0.25,
      (v) => `${((0.25 - v) * 100).toFixed(1)} points short; needs ${(0.25 / v).toFixed(1)}x its rate`,
    ),
  );

  const fullP50 = full?.oneGateway.p50Ms.median;
  const bareP50 = bare?.atReferenceRate?.p50Ms.median;
  goals.push(
    goal(
      'At half its sustainable rate, full-stack median latency within 5 ms of bare Socket.IO at the same rate',
      'difference at most 5 ms',
      fullP50 !== undefined && bareP50 !== undefined ? fullP50 - bareP50 : undefined,
      (v) => `${ms(v)} (${ms(fullP50!)} vs ${ms(bareP50!)})`,
      (v) => v <= 5,
      (v) => `${ms(v - 5)} over`,
    ),
  );
  goals.push(
    goal(
      'At half its sustainable rate, full-stack 99th percentile',
      'under 50 ms',
      full?.oneGateway.p99Ms.median,
      ms,
      (v) => v < 50,
      (v) => `${ms(v - 50)} over (${(v / 50).toFixed(1)}x)`,
    ),
  );
  goals.push(
    goal(
      'At half its sustainable rate, no message lost',
      '0 lost',
      full ? Math.max(...full.oneGateway.lossRatio.runs) : undefined,
      pct,
      (v) => v === 0,
      (v) => `${pct(v)} of deliveries lost in the worst run`,
    ),
  );

  const cpuRatio =
    full?.twoGateways && full.oneGateway
      ? full.twoGateways.cpuMsPerThousand.median / full.oneGateway.cpuMsPerThousand.median
      : undefined;
  goals.push(
    goal(
      'Two gateways: CPU per delivered message relative to one',
      'at most 1.5x',
      cpuRatio,
      (v) => {
        const lost = full?.twoGateways ? Math.max(...full.twoGateways.lossRatio.runs) : 0;
        return `${v.toFixed(2)}x${lost > 0 ? ` (but two gateways lost up to ${pct(lost)} of deliveries)` : ''}`;
      },
      (v) => v <= 1.5,
      (v) => `${(v - 1.5).toFixed(2)}x over`,
    ),
  );

  const hop = (via?: number, direct?: number) =>
    via !== undefined && direct !== undefined ? (via - direct) / 2 : undefined;
  goals.push(
    goal(
      'Each Dapr hop of a service invocation adds at the 99th percentile',
      'at most 3 ms',
      hop(dapr?.invokeViaDapr.p99Ms.median, dapr?.invokeDirect.p99Ms.median),
      ms,
      (v) => v <= 3,
      (v) => `${ms(v - 3)} over`,
    ),
  );
  goals.push(
    goal(
      'Each Dapr hop of a publish adds at the 99th percentile',
      'at most 3 ms',
      hop(dapr?.publishViaDapr.p99Ms.median, dapr?.publishDirect.p99Ms.median),
      ms,
      (v) => v <= 3,
      (v) => `${ms(v - 3)} over`,
    ),
  );

  const efficiency =
    full && centrifugo
      ? full.atSustainable.deliveriesPerCpuSecond.median /
        centrifugo.atSustainable.deliveriesPerCpuSecond.median
      : undefined;
  goals.push(
    goal(
      "Deliveries per CPU-second relative to Centrifugo's",
      'at least 1/3 (33.3%)',
      efficiency,
      pct,
      (v) => v >= 1 / 3,
      (v) =>
        `${((1 / 3 - v) * 100).toFixed(1)} points short; needs ${(1 / 3 / v).toFixed(1)}x the efficiency`,
    ),
  );

  const perConnection = full?.idleMemory.length
    ? Math.max(...full.idleMemory.map((m) => m.bytesPerConnection))
    : undefined;
  goals.push(
    goal(
      'Gateway memory per idle connection (worst of the counts measured)',
      'at most 50 KB',
      perConnection,
      (v) => `${(v / 1000).toFixed(1)} KB`,
      (v) => v <= 50_000,
      (v) => `${((v - 50_000) / 1000).toFixed(1)} KB over`,
    ),
  );
  return goals;
}
