import type { Measurement, SearchStep } from '../measure';
import { total } from '../proc';
import { type Spread, spread } from '../stats';
import type { GoalResult } from './goals';
import type { BenchResults, MachineInfo } from './types';

export interface ReportMeta {
  generatedAt: string;
  mode: 'quick' | 'default';
  durationSeconds: number;
  machine: MachineInfo;
  workload: {
    clients: number;
    roomSize: number;
    devicesPerUser: number;
    payloadBytes: number;
    runs: number;
    runSeconds: number;
  };
  /** What a reader should know about this run (a busy machine, say). */
  notes: string[];
  chart: { svg: string; png?: string };
}

const fixed = (v: number, digits: number) => (Number.isFinite(v) ? v.toFixed(digits) : 'n/a');

/** "median (min–max)", or the median alone when every run agreed. */
export function withSpread(s: Spread, digits = 1, scale = 1): string {
  const [m, lo, hi] = [s.median * scale, s.min * scale, s.max * scale];
  if (!Number.isFinite(m)) return 'n/a';
  if (s.runs.length < 2 || fixed(lo, digits) === fixed(hi, digits)) return fixed(m, digits);
  return `${fixed(m, digits)} (${fixed(lo, digits)}–${fixed(hi, digits)})`;
}

function measurementRow(label: string, m: Measurement | undefined): string | undefined {
  if (!m) return undefined;
  return `| ${label} | ${m.rate} | ${withSpread(m.deliveriesPerSecond, 0)} | ${withSpread(m.p50Ms)} | ${withSpread(m.p99Ms)} | ${withSpread(m.lossRatio, 2, 100)}% | ${withSpread(m.cpuMsPerThousand, 0)} | ${withSpread(m.deliveriesPerCpuSecond, 0)} | ${withSpread(m.serverCores, 2)} | ${withSpread(m.loadgenCores, 2)} |`;
}

export function machineLine(machine: MachineInfo): string {
  return (
    `${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB RAM, ${machine.os}, Node ${machine.node} ` +
    `(load average ${machine.loadAverageAtStart.map((l) => l.toFixed(2)).join(' / ')} at the start)`
  );
}

/** The delivery table alone, as the README shows it. */
export function deliveryTable(r: BenchResults): string {
  const rows = [
    measurementRow('full stack, 1 gateway, at its sustainable rate', r.full?.atSustainable),
    measurementRow('full stack, 1 gateway, at half that (reference rate)', r.full?.oneGateway),
    measurementRow('full stack, 2 gateways, at the reference rate', r.full?.twoGateways),
    measurementRow('bare Socket.IO + Redis adapter, at its sustainable rate', r.bare?.atSustainable),
    measurementRow('bare Socket.IO + Redis adapter, at the reference rate', r.bare?.atReferenceRate),
    measurementRow('Centrifugo + Redis engine, at its sustainable rate', r.centrifugo?.atSustainable),
    measurementRow('Centrifugo + Redis engine, at the reference rate', r.centrifugo?.atReferenceRate),
  ].filter(Boolean);
  return [
    '| configuration | msg/s sent | deliveries/s | p50 ms | p99 ms | lost | server CPU ms per 1,000 deliveries | deliveries per server CPU-second | server cores busy | load generator cores busy |',
    '| --- | --: | --: | --: | --: | --: | --: | --: | --: | --: |',
    ...rows,
  ].join('\n');
}

export function goalsTable(goals: GoalResult[]): string {
  const verdict = (g: GoalResult) =>
    g.met === null ? 'not measured' : g.met ? 'met' : `**missed**: ${g.shortfall}`;
  return [
    '| goal | target | measured | result |',
    '| --- | --- | --- | --- |',
    ...goals.map((g) => `| ${g.goal} | ${g.target} | ${g.measured} | ${verdict(g)} |`),
  ].join('\n');
}

export function renderMarkdown(meta: ReportMeta, r: BenchResults, goals: GoalResult[]): string {
  const { workload } = meta;
  const out: string[] = [
    '# Parley message delivery benchmark',
    '',
    `Run ${meta.generatedAt} (${meta.mode} mode, ${Math.round(meta.durationSeconds / 60)} min) on ${machineLine(meta.machine)}.`,
    '',
    `Workload: ${workload.clients.toLocaleString('en')} connected clients in rooms of ${workload.roomSize}, ` +
      `${workload.payloadBytes}-byte messages, each message delivered to every client in its room (the sender too). ` +
      `In the full stack a room is a group conversation of ${workload.roomSize / workload.devicesPerUser} users ` +
      `with ${workload.devicesPerUser} connected sockets each; users and groups are made through the public API. ` +
      'Load is open-model: sends are planned at a fixed arrival rate and each latency counts from the planned ' +
      'send time, so a server (or load generator) that falls behind shows its queueing. ' +
      `Each figure is the median of ${workload.runs} runs of ${workload.runSeconds} s, with the lowest and ` +
      'highest run in brackets. The load generator is a separate process; its CPU is the last column and is not ' +
      'part of the server CPU. Compare configurations by their ratios: absolute figures drift on a shared machine.',
    '',
    `![chart](${meta.chart.png ?? meta.chart.svg})`,
    '',
    '## Goals',
    '',
    goalsTable(goals),
    '',
    '## Message delivery',
    '',
    deliveryTable(r),
    '',
  ];
  if (r.full) {
    out.push(
      `The reference rate is half the full stack's sustainable rate (${r.full.referenceRate} msg/s); the peers ` +
        'were measured at that rate too, for the latency comparison. Server CPU of the full stack counts every ' +
        'process of the platform (gateway, services, sidecars, Redis, FerretDB, Temporal, worker). Each ' +
        'full-stack run (and each step of its rate search) starts with the stack at rest, and its CPU counts ' +
        'until the stack is at rest again, so the work its messages leave behind (indexing, statistics, ' +
        'notifications) is priced in and does not run into the next run; cores busy divide that CPU by the ' +
        `run and its tail (the tail took ${tailOf(r.full)} s at the sustainable rate).`,
      '',
    );
  }
  out.push('## Sustainable rate search', '');
  out.push(
    'Each step runs for a few seconds; a step holds when nothing is lost or refused and p99 stays under ' +
      'the limit. A step that fails after one that held is tried once more. The rate found is then ' +
      'measured over several runs, and it counts only if at least half of them hold; otherwise the ' +
      'next lower rate that held is measured instead.',
    '',
  );
  for (const [name, result] of [
    ['full stack', r.full],
    ['bare Socket.IO', r.bare],
    ['Centrifugo', r.centrifugo],
  ] as const) {
    if (!result) continue;
    const steps = result.search
      .map((s) =>
        s.measured
          ? `${s.rate} measured (too much: median p99 ${fixed(s.p99Ms, 0)} ms over the runs)`
          : `${s.rate} (${s.healthy ? 'holds' : 'too much'}, p99 ${fixed(s.p99Ms, 0)} ms)`,
      )
      .join(' -> ');
    out.push(`- ${name}: ${steps}; sustainable ${result.sustainableRate} msg/s`);
  }
  out.push('');
  if (r.dapr) {
    const d = r.dapr;
    const hop = (via: Spread, direct: Spread) => fixed((via.median - direct.median) / 2, 1);
    out.push(
      '## Dapr hops',
      '',
      `${d.rate} calls per second, open-model, ${workload.payloadBytes}-byte bodies; two sidecars (caller and callee) ` +
        'against the same HTTP call made directly to the app. A publish is timed from its planned send to its ' +
        "arrival at the subscriber's handler.",
      '',
      '| call | p50 direct | p50 via two sidecars | p99 direct | p99 via two sidecars | added per hop at p99 | failed |',
      '| --- | --: | --: | --: | --: | --: | --: |',
      `| service invocation | ${withSpread(d.invokeDirect.p50Ms)} | ${withSpread(d.invokeViaDapr.p50Ms)} | ${withSpread(d.invokeDirect.p99Ms)} | ${withSpread(d.invokeViaDapr.p99Ms)} | ${hop(d.invokeViaDapr.p99Ms, d.invokeDirect.p99Ms)} ms | ${d.invokeViaDapr.failures} |`,
      `| publish (Redis Streams) | ${withSpread(d.publishDirect.p50Ms)} | ${withSpread(d.publishViaDapr.p50Ms)} | ${withSpread(d.publishDirect.p99Ms)} | ${withSpread(d.publishViaDapr.p99Ms)} | ${hop(d.publishViaDapr.p99Ms, d.publishDirect.p99Ms)} ms | ${d.publishViaDapr.failures} |`,
      '',
    );
  }
  if (r.full?.idleMemory.length) {
    out.push(
      '## Idle connections on one gateway',
      '',
      'Clients connected and left idle; each RSS reading follows a full garbage collection in the gateway.',
      '',
      '| clients | gateway RSS before | after | per connection |',
      '| --: | --: | --: | --: |',
      ...r.full.idleMemory.map(
        (m) =>
          `| ${m.clients.toLocaleString('en')} | ${fixed(m.rssBeforeBytes / 2 ** 20, 0)} MiB | ${fixed(m.rssAfterBytes / 2 ** 20, 0)} MiB | ${fixed(m.bytesPerConnection / 1000, 1)} KB |`,
      ),
      '',
    );
  }
  if (r.full) {
    const cpu = Object.entries(r.full.cpuByProcess).sort((a, b) => b[1] - a[1]);
    const sum = total(r.full.cpuByProcess);
    const [top] = cpu;
    out.push(
      '## Where the time goes',
      '',
      `CPU seconds of each full-stack process over the runs at the sustainable rate (${fixed(sum, 1)} s in all)` +
        (top ? `; the busiest is **${top[0]}** with ${fixed((top[1] / sum) * 100, 1)}% of it:` : ':'),
      '',
      '| process | CPU s | share |',
      '| --- | --: | --: |',
      ...cpu.slice(0, 12).map(([name, s]) => `| ${name} | ${fixed(s, 2)} | ${fixed((s / sum) * 100, 1)}% |`),
      '',
    );
    out.push(
      ...cpuAcrossRates(
        r.full.search,
        cpu.map(([name]) => name),
      ),
    );
    const stages = [r.full.atSustainable, r.full.oneGateway].filter(
      (m) => m.runs.length && m.runs.every((run) => run.stagesMs),
    );
    if (stages.length) {
      const median = (
        m: Measurement,
        pick: (s: { toStoredP50: number; storedToDeliveredP50: number }) => number,
      ) => withSpread(spread(m.runs.map((run) => pick(run.stagesMs!))));
      out.push(
        'Where a full-stack delivery spends its time, split at the timestamp chat puts on each message ' +
          'just before storing it (milliseconds, the median of each run):',
        '',
        '| rate | send to chat | chat to each delivery | whole delivery |',
        '| --: | --: | --: | --: |',
        ...stages.map((m) => {
          const toChat = median(m, (s) => s.toStoredP50);
          const afterChat = median(m, (s) => s.storedToDeliveredP50);
          return `| ${m.rate} msg/s | ${toChat} | ${afterChat} | ${withSpread(m.p50Ms)} |`;
        }),
        '',
        "From send to chat: the gateway, its sidecar, chat's sidecar and chat's membership check " +
          '(remembered, else a read). From ' +
          "chat to each delivery: the insert, the publish through chat's sidecar, Redis and the " +
          "gateway's sidecar, and the gateway's send to each socket.",
        '',
      );
    }
    const commands = r.full.dbCommands ?? [];
    if (commands.length) {
      const perMessage = commands.reduce((sum, c) => sum + c.perMessage, 0);
      out.push(
        `Database commands per message sent over the same runs (${fixed(perMessage, 1)} in all), as each ` +
          'service timed them (queueing in the database included), by the time they add up to:',
        '',
        '| service database | command | per message | mean ms |',
        '| --- | --- | --: | --: |',
        ...commands.slice(0, 15).map((c) => {
          const command = c.command.replace(/\|/g, '\\|');
          return `| ${c.database} | ${command} | ${fixed(c.perMessage, 2)} | ${fixed(c.meanMs, 1)} |`;
        }),
        '',
      );
    }
    const p = r.full.profile;
    if (p) {
      out.push(
        `CPU profile of **${p.process}**, the busier of gateway and chat, over one run at the sustainable rate ` +
          `(${p.sampledMs} ms of CPU sampled in ${p.durationMs} ms), self time:`,
        '',
        '| package | self ms | share |',
        '| --- | --: | --: |',
        ...p.byPackage.map((b) => `| ${b.name} | ${b.selfMs} | ${b.share}% |`),
        '',
        '| function | where | self ms | share |',
        '| --- | --- | --: | --: |',
        ...p.topFunctions.map(
          (f) => `| ${f.name.replace(/\|/g, '\\|')} | ${f.where} | ${f.selfMs} | ${f.share}% |`,
        ),
        '',
        '`(program)` is time V8 spends outside JavaScript functions (native code, the event loop, I/O ' +
          'system calls); `(garbage collector)` is garbage collection.',
        '',
      );
    }
  }
  if (meta.notes.length) out.push('## Notes', '', ...meta.notes.map((n) => `- ${n}`), '');
  const failures = Object.entries(r.failures);
  if (failures.length) {
    out.push(
      '## Scenarios that failed',
      '',
      ...failures.map(([name, why]) => `- ${name}: ${why.split('\n')[0]}`),
      '',
    );
  }
  return `${out.join('\n')}\n`;
}

/** The median tail after the runs at the sustainable rate, in seconds. */
function tailOf(full: NonNullable<BenchResults['full']>): string {
  const tails = full.atSustainable.runs.map((run) => run.tailSeconds).sort((a, b) => a - b);
  return (tails[Math.floor(tails.length / 2)] ?? 0).toFixed(1);
}

/**
 * CPU per message of each process at each step of the rate search: a process whose figure falls as
 * the rate rises does work per request (its requests carry more messages each), one whose figure
 * stays does work per message, and sets the ceiling.
 */
function cpuAcrossRates(steps: SearchStep[], busiestFirst: string[]): string[] {
  const measured = steps.filter((s) => s.cpuMsPerMessage && !s.measured);
  if (measured.length < 2) return [];
  const shown = busiestFirst.slice(0, 8);
  const cell = (step: SearchStep, names: string[]) =>
    fixed(
      names.reduce((sum, name) => sum + (step.cpuMsPerMessage?.[name] ?? 0), 0),
      2,
    );
  const others = (step: SearchStep) =>
    Object.keys(step.cpuMsPerMessage ?? {}).filter((name) => !shown.includes(name));
  const seen = new Set<number>();
  const heads = measured.map((s) => {
    const again = seen.has(s.rate);
    seen.add(s.rate);
    return `${s.rate} msg/s${again ? ' (again)' : ''}`;
  });
  return [
    'Server CPU milliseconds per message sent, by process, at each step of the rate search (each ' +
      'step counted until the stack is at rest again):',
    '',
    `| process | ${heads.join(' | ')} |`,
    `| --- | ${measured.map(() => '--:').join(' | ')} |`,
    ...shown.map((name) => `| ${name} | ${measured.map((s) => cell(s, [name])).join(' | ')} |`),
    `| the others | ${measured.map((s) => cell(s, others(s))).join(' | ')} |`,
    `| all | ${measured.map((s) => cell(s, Object.keys(s.cpuMsPerMessage ?? {}))).join(' | ')} |`,
    '',
  ];
}
