import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { type RunRecord, summariseRuns } from '../bench/src/measure';
import { commandCosts, readCommandTotals } from '../bench/src/scenarios/db-commands';
import { packageOf, summariseProfile } from '../bench/src/profile';
import { renderSvg } from '../bench/src/report/chart';
import { evaluateGoals } from '../bench/src/report/goals';
import { withSpread } from '../bench/src/report/markdown';
import type { BenchResults } from '../bench/src/report/types';
import { README_END, README_START, updateReadme, writeReport } from '../bench/src/report/write';

function run(rate: number, p50: number, p99: number, cpu: Record<string, number>, lost = 0): RunRecord {
  const expected = rate * 10 * 8;
  return {
    runId: 'r',
    rate,
    sent: rate * 8,
    expected,
    received: expected - lost,
    duplicates: 0,
    errors: 0,
    latencyMs: { count: expected - lost, p50, p90: p99, p99, max: p99 },
    sendLagP99Ms: 0.5,
    deliveriesPerSecond: rate * 10,
    wallSeconds: 10,
    tailSeconds: 2,
    serverCpu: cpu,
    loadgenCpu: 2,
    stagesMs: { toStoredP50: p50 / 3, storedToDeliveredP50: (p50 * 2) / 3 },
  };
}

const measured = (
  config: string,
  rate: number,
  p50: number,
  p99: number,
  cpu: Record<string, number>,
  lost = 0,
) => summariseRuns(config, rate, [run(rate, p50, p99, cpu, lost), run(rate, p50 + 1, p99 + 2, cpu, lost)]);

const calls = (p99: number) => ({
  p50Ms: { median: p99 / 3, min: p99 / 3, max: p99 / 3, runs: [p99 / 3] },
  p99Ms: { median: p99, min: p99, max: p99, runs: [p99] },
  failures: 0,
  runs: [],
});

/** A run where the full stack sustains 100 msg/s against the bare server's 500. */
function results(): BenchResults {
  const peer = (config: string, rate: number, cpu: number) => ({
    config,
    search: [{ rate, healthy: true, p99Ms: 10, lossRatio: 0 }],
    sustainableRate: rate,
    atSustainable: measured(config, rate, 2, 10, { server: cpu }),
    atReferenceRate: measured(config, 50, 1.5, 8, { server: cpu / 10 }),
  });
  return {
    full: {
      search: [
        {
          rate: 100,
          healthy: true,
          p99Ms: 40,
          lossRatio: 0,
          cpuMsPerMessage: { gateway: 2, chat: 1.5, redis: 0.25 },
        },
        {
          rate: 150,
          healthy: false,
          p99Ms: 900,
          lossRatio: 0,
          cpuMsPerMessage: { gateway: 2, chat: 1, redis: 0.5 },
        },
      ],
      sustainableRate: 100,
      atSustainable: measured('full', 100, 9, 45, { gateway: 4, chat: 3, redis: 1 }),
      referenceRate: 50,
      oneGateway: measured('full 1', 50, 8, 60, { gateway: 2, chat: 1.5 }),
      twoGateways: measured('full 2', 50, 9, 70, { gateway: 2, 'gateway-2': 2, chat: 1.5 }),
      idleMemory: [
        { clients: 5_000, rssBeforeBytes: 100e6, rssAfterBytes: 250e6, bytesPerConnection: 30_000 },
        { clients: 10_000, rssBeforeBytes: 100e6, rssAfterBytes: 420e6, bytesPerConnection: 32_000 },
      ],
      cpuByProcess: { gateway: 12, chat: 9, redis: 3 },
      dbCommands: [{ database: 'parley_chat', command: 'insert messages', perMessage: 1, meanMs: 2.5 }],
      setupSeconds: { start: 60, users: 30 },
    },
    bare: peer('bare', 500, 2),
    centrifugo: peer('centrifugo', 800, 2),
    dapr: {
      rate: 200,
      invokeDirect: calls(4),
      invokeViaDapr: calls(12),
      publishDirect: calls(3),
      publishViaDapr: calls(6),
    },
    failures: {},
  };
}

t.test('goals are judged on ratios of the same run, and a miss says by how much', async (t) => {
  const goals = evaluateGoals(results());
  const byStart = (text: string) => goals.find((g) => g.goal.startsWith(text))!;
  const rate = byStart('Full stack sustains');
  t.equal(rate.met, false, '100 of 500 msg/s is 20%, under 25%');
  t.match(rate.measured, /20\.0%/);
  t.match(rate.shortfall, /5\.0 points short; needs 1\.3x/);
  // Medians of two runs: full p50 8.5 against bare 2.0 at the same rate.
  t.equal(byStart('At half its sustainable rate, full-stack median').met, false);
  t.match(byStart('At half its sustainable rate, full-stack median').shortfall, /1\.5 ms over/);
  t.equal(byStart('At half its sustainable rate, full-stack 99th').met, false, 'p99 61 ms is over 50');
  t.equal(byStart('At half its sustainable rate, no message').met, true);
  // 5.5 CPU-s against 3.5 CPU-s for the same deliveries.
  t.equal(byStart('Two gateways').met, false);
  t.match(byStart('Two gateways').measured, /1\.57x/);
  t.equal(byStart('Each Dapr hop of a service invocation').met, false, '(12 - 4) / 2 = 4 ms per hop');
  t.equal(byStart('Each Dapr hop of a publish').met, true, '(6 - 3) / 2 = 1.5 ms per hop');
  t.equal(byStart('Deliveries per CPU-second').met, false);
  t.equal(byStart('Gateway memory').met, true);
  t.match(byStart('Gateway memory').measured, /32\.0 KB/);
});

t.test('goals a run did not measure are marked so, not passed', async (t) => {
  const goals = evaluateGoals({ dapr: results().dapr, failures: {} });
  t.equal(goals.filter((g) => g.met === null).length, goals.length - 2);
});

t.test('figures show the median with the lowest and highest run', async (t) => {
  t.equal(withSpread({ median: 2.5, min: 2, max: 3, runs: [2, 3] }), '2.5 (2.0–3.0)');
  t.equal(withSpread({ median: 2, min: 2, max: 2, runs: [2] }), '2.0');
  t.equal(withSpread({ median: Number.NaN, min: Number.NaN, max: Number.NaN, runs: [] }), 'n/a');
});

t.test('the report is written as JSON, markdown and an SVG chart', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-report-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const meta = {
    generatedAt: '2026-01-01T00:00:00.000Z',
    mode: 'default' as const,
    durationSeconds: 600,
    machine: {
      cpu: 'Test CPU',
      cores: 2,
      memoryGiB: 8,
      os: 'Test OS',
      node: '20.0.0',
      loadAverageAtStart: [0.5, 0.4, 0.3],
    },
    workload: { clients: 2_000, roomSize: 10, devicesPerUser: 2, payloadBytes: 200, runs: 2, runSeconds: 8 },
    notes: ['The machine was shared.'],
  };
  const written = await writeReport(dir, meta, results(), { png: false });
  const json = JSON.parse(readFileSync(written.json, 'utf8'));
  t.equal(json.results.full.sustainableRate, 100);
  t.equal(json.goals.length, 9);
  const markdown = readFileSync(written.markdown, 'utf8');
  t.match(markdown, /\| goal\s+\| target/);
  t.match(markdown, /Test CPU, 2 cores/);
  t.match(markdown, /full stack, 2 gateways, at the reference rate/);
  t.match(markdown, /\*\*missed\*\*/);
  t.match(markdown, /## Notes\n\n- The machine was shared\./);
  t.match(markdown, /\| parley_chat\s+\| insert messages\s+\|\s+1\.00 \|\s+2\.5 \|/);
  t.match(
    markdown,
    /\| process\s+\| 100 msg\/s \| 150 msg\/s \|/,
    'CPU per message at each step of the search',
  );
  t.match(markdown, /\| chat\s+\|\s+1\.50 \|\s+1\.00 \|/);
  t.match(markdown, /\| all\s+\|\s+3\.75 \|\s+3\.50 \|/);
  // Medians of the two runs' stages (p50 9 and 10 at the sustainable rate).
  t.match(markdown, /\|\s+100 msg\/s \|\s+3\.2 \(3\.0–3\.3\) \|\s+6\.3 \(6\.0–6\.7\) \|/);
  const svg = readFileSync(written.svg, 'utf8');
  t.match(svg, /^<svg /);
  t.match(svg, /bare Socket\.IO/);
  t.match(svg, />500 msg\/s</);

  const readme = join(dir, 'README.md');
  writeFileSync(readme, `# Title\n\n## Benchmarks\n\n${README_START}\nold table\n${README_END}\n\n## Next\n`);
  t.ok(await updateReadme(readme, meta, results(), written.goals));
  const updated = readFileSync(readme, 'utf8');
  t.notMatch(updated, /old table/);
  t.match(updated, /Test CPU/);
  t.match(updated, /## Next\n$/);
});

t.test('the SVG escapes labels and draws only the bars it has figures for', async (t) => {
  const svg = renderSvg({ failures: {}, bare: results().bare }, 'a <b> & c');
  t.match(svg, /a &lt;b&gt; &amp; c/);
  t.notMatch(svg, /Parley full stack/);
});

t.test('a CPU profile is summarised by function and by package', async (t) => {
  t.equal(packageOf('file:///x/node_modules/socket.io-parser/build/index.js'), 'socket.io-parser');
  t.equal(
    packageOf('file:///x/node_modules/@socket.io/redis-adapter/dist/index.js'),
    '@socket.io/redis-adapter',
  );
  t.equal(packageOf('node:internal/streams/writable'), 'node internals');
  t.equal(packageOf('file:///x/services/gateway/dist/realtime/server.js'), 'services/gateway (own code)');
  const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 0 });
  const summary = summariseProfile('gateway', {
    nodes: [
      { id: 1, callFrame: frame('(root)', '') },
      { id: 2, callFrame: frame('encode', 'file:///x/node_modules/socket.io-parser/a.js') },
      { id: 3, callFrame: frame('deliver', 'file:///x/services/gateway/dist/realtime/server.js') },
      { id: 4, callFrame: frame('(idle)', '') },
    ],
    samples: [2, 2, 2, 3, 4, 4],
    timeDeltas: [1000, 1000, 1000, 1000, 5000, 5000],
    startTime: 0,
    endTime: 14_000,
  });
  t.equal(summary.sampledMs, 4, 'idle time is not CPU');
  t.equal(summary.topFunctions[0]!.name, 'encode');
  t.equal(summary.topFunctions[0]!.share, 75);
  t.same(
    summary.byPackage.map((p) => p.name),
    ['socket.io-parser', 'services/gateway (own code)'],
  );
});

t.test('database commands are counted per message between two readings', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-commands-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  t.same(readCommandTotals(join(dir, 'absent')), {});
  writeFileSync(
    join(dir, 'parley_chat.json'),
    JSON.stringify({ 'insert messages': { count: 5, totalMs: 10 } }),
  );
  writeFileSync(join(dir, 'torn.json'), '{"find');
  const before = readCommandTotals(dir);
  t.same(Object.keys(before), ['parley_chat'], 'a half-written file counts as absent');
  writeFileSync(
    join(dir, 'parley_chat.json'),
    JSON.stringify({
      'insert messages': { count: 25, totalMs: 50 },
      'find members {userId}': { count: 10, totalMs: 200 },
    }),
  );
  t.same(commandCosts(before, readCommandTotals(dir), 20), [
    { database: 'parley_chat', command: 'find members {userId}', perMessage: 0.5, meanMs: 20 },
    { database: 'parley_chat', command: 'insert messages', perMessage: 1, meanMs: 2 },
  ]);
  t.same(commandCosts(before, before, 20), [], 'nothing sent in between, nothing counted');
});
