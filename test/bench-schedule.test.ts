import { createHmac } from 'node:crypto';
import t from 'tap';
import type { RunRecord } from '../bench/src/measure';
import { healthy, measureSustainable, searchRate, summariseRuns } from '../bench/src/measure';
import { type ScheduleClock, plannedOffsets, runSchedule } from '../bench/src/schedule';
import { roomsOf, sourceAddress } from '../bench/src/scenarios/context';
import { hs256Token } from '../bench/src/scenarios/peers';
import { parseSettings } from '../bench/src/settings';
import { median, quantile, spread } from '../bench/src/stats';

/** A clock that only moves when the scheduler sleeps, or when a send takes time. */
function fakeClock(sendCostMs = 0) {
  let now = 0;
  const clock: ScheduleClock & { advance(ms: number): void } = {
    now: () => now,
    sleep: async (ms) => {
      now += ms;
    },
    advance: (ms) => {
      now += ms;
    },
  };
  return { clock, sendCostMs };
}

t.test('plans sends at a fixed arrival rate', async (t) => {
  t.same(plannedOffsets(4, 1_000), [0, 250, 500, 750]);
  t.equal(plannedOffsets(200, 5_000).length, 1_000);
  t.same(plannedOffsets(0, 1_000), []);
});

t.test('sends each message at its planned time when the sender keeps up', async (t) => {
  const { clock } = fakeClock();
  const sentAt: number[] = [];
  const result = await runSchedule(10, 1_000, (_i, planned) => sentAt.push(planned), clock);
  t.equal(sentAt.length, 10);
  t.same(sentAt, result.planned);
  t.ok(
    result.lagMs.every((lag) => lag === 0),
    'no send is late',
  );
});

t.test('a slow sender does not slow the schedule: late sends keep their planned times', async (t) => {
  const { clock } = fakeClock();
  const planned: number[] = [];
  // Each send blocks for 30 ms, three times the 10 ms spacing of 100 sends per second.
  const result = await runSchedule(
    100,
    200,
    (_i, at) => {
      planned.push(at);
      clock.advance(30);
    },
    clock,
  );
  t.equal(planned.length, 20, 'every planned send still goes out');
  t.same(planned, result.planned);
  t.equal(result.planned[1]! - result.planned[0]!, 10, 'planned times stay 10 ms apart');
  t.ok(result.lagMs.at(-1)! > 300, 'the last send is late by the queue built up before it');
});

t.test('median and spread of runs', async (t) => {
  t.equal(median([3, 1, 2]), 2);
  t.equal(median([4, 1, 3, 2]), 2.5);
  t.equal(quantile([5, 1, 4, 2, 3], 0.99), 5);
  t.same(spread([10, 30, 20]), { median: 20, min: 10, max: 30, runs: [10, 30, 20] });
  t.ok(Number.isNaN(spread([]).median));
});

function fakeRun(rate: number, p99: number, lost = 0): RunRecord {
  return {
    runId: `r${rate}`,
    rate,
    sent: rate,
    expected: rate * 10,
    received: rate * 10 - lost,
    duplicates: 0,
    errors: 0,
    latencyMs: { count: rate * 10 - lost, p50: p99 / 4, p90: p99 / 2, p99, max: p99 },
    sendLagP99Ms: 0,
    deliveriesPerSecond: rate * 10,
    wallSeconds: 1,
    tailSeconds: 0,
    serverCpu: { gateway: rate / 100, chat: rate / 200 },
    loadgenCpu: 0.1,
  };
}

t.test('the rate search climbs until loss or a blown p99, and keeps the last healthy rate', async (t) => {
  const settings = { ...parseSettings(['--quick']), searchFactor: 2, searchMaxSteps: 8, p99LimitMs: 250 };
  // A system that holds up to 300 msg/s, then queues.
  const probe = async (rate: number) => fakeRun(rate, rate <= 300 ? 20 : 2_000);
  const found = await searchRate({ config: 'fake' } as never, 50, settings, () => {}, probe);
  t.equal(found.rate, 200);
  t.same(
    found.steps.map((s) => [s.rate, s.healthy]),
    [
      [50, true],
      [100, true],
      [200, true],
      [400, false],
      [400, false],
    ],
    'a failed step is tried once more before the climb ends',
  );
  const lossy = await searchRate(
    { config: 'fake' } as never,
    50,
    settings,
    () => {},
    async (rate) => fakeRun(rate, 10, rate >= 100 ? 1 : 0),
  );
  t.equal(lossy.rate, 50, 'a single lost delivery ends the climb');

  // A step that fails once, then holds when tried again (a slow moment of the machine).
  let tries = 0;
  const flaky = await searchRate(
    { config: 'fake' } as never,
    50,
    settings,
    () => {},
    async (rate) => {
      if (rate === 100) tries += 1;
      return fakeRun(rate, rate === 100 && tries === 1 ? 2_000 : rate <= 200 ? 20 : 2_000);
    },
  );
  t.equal(flaky.rate, 200, 'one slow step does not end the climb');
  t.same(
    flaky.steps.map((s) => [s.rate, s.healthy]),
    [
      [50, true],
      [100, false],
      [100, true],
      [200, true],
      [400, false],
      [400, false],
    ],
  );
});

t.test('the rate search steps down when even the first rate is too much', async (t) => {
  const settings = { ...parseSettings(['--quick']), searchFactor: 2, searchMaxSteps: 5 };
  const probe = async (rate: number) => fakeRun(rate, rate <= 10 ? 20 : 2_000);
  const found = await searchRate({ config: 'fake' } as never, 100, settings, () => {}, probe);
  t.equal(found.rate, 6);
  t.notOk(healthy(fakeRun(100, 2_000), 250));
});

t.test('a rate the measured runs do not hold gives way to the next lower one that held', async (t) => {
  const settings = { ...parseSettings(['--quick']), runs: 3, p99LimitMs: 250 };
  // Holds 200 msg/s in every run; at 400 only one run in three stays under the limit.
  const served: number[] = [];
  const target = {
    config: 'fake',
    serverPids: () => ({}),
    spec: {},
    loadgen: {
      pid: process.pid,
      run: async (spec: { rate: number }) => {
        served.push(spec.rate);
        const again = served.filter((r) => r === spec.rate).length === 2;
        return fakeRun(spec.rate, spec.rate <= 200 || again ? 20 : 900);
      },
    },
  } as never;
  const search = {
    rate: 400,
    steps: [
      { rate: 100, healthy: true, p99Ms: 20, lossRatio: 0 },
      { rate: 200, healthy: true, p99Ms: 20, lossRatio: 0 },
      { rate: 400, healthy: true, p99Ms: 200, lossRatio: 0 },
      { rate: 800, healthy: false, p99Ms: 900, lossRatio: 0 },
    ],
  };
  let before = 0;
  const found = await measureSustainable(
    target,
    search,
    settings,
    () => {},
    async () => {
      before += 1;
    },
  );
  t.equal(found.rate, 200);
  t.same(served, [400, 400, 400, 200, 200, 200]);
  t.equal(before, 2, 'the wait for rest comes before each measurement');
  t.equal(found.measurement.rate, 200);
  t.match(found.steps.at(-1), { rate: 400, healthy: false, measured: true, p99Ms: 900 });

  const kept = await measureSustainable(
    target,
    { rate: 100, steps: search.steps.slice(0, 1) },
    settings,
    () => {},
  );
  t.equal(kept.rate, 100, 'a rate its runs hold is kept');
  t.equal(kept.steps.length, 1);
});

t.test('a measurement reports CPU per delivery from the server processes only', async (t) => {
  const m = summariseRuns('fake', 100, [fakeRun(100, 20), fakeRun(100, 40)]);
  // 1.5 CPU-seconds for 1,000 deliveries: 1,500 ms per thousand.
  t.equal(m.cpuMsPerThousand.median, 1_500);
  t.equal(m.p99Ms.median, 30);
  t.equal(Math.round(m.deliveriesPerCpuSecond.median), 667);
  t.equal(m.loadgenCores.median, 0.1, 'the load generator is counted apart');
});

t.test('settings: quick mode is smaller, unknown scenarios are refused', async (t) => {
  const quick = parseSettings(['--quick']);
  const full = parseSettings([]);
  t.ok(quick.clients < full.clients);
  t.equal(full.clients, 2_000, "the issue's workload");
  t.same(full.idleClients, [5_000, 10_000]);
  t.same([...parseSettings(['--only=bare,dapr']).only], ['bare', 'dapr']);
  t.throws(() => parseSettings(['--only=kafka']), /unknown scenario kafka/);
});

t.test('clients are split into whole rooms, and spread over loopback source addresses', async (t) => {
  const rooms = roomsOf(25, 10, (r) => `room:${r}`);
  t.same(
    rooms.map((r) => r.id),
    ['room:0', 'room:1'],
  );
  t.same(rooms[1]!.members, [10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
  t.equal(sourceAddress(0), '127.0.0.2');
  t.equal(sourceAddress(41), '127.0.0.3');
});

t.test("Centrifugo's connection token is an HS256 JWT it can verify", async (t) => {
  const token = hs256Token({ sub: 'user-1', exp: 2_000_000_000 }, 'secret');
  const [header, payload, signature] = token.split('.');
  t.same(JSON.parse(Buffer.from(header!, 'base64url').toString()), { alg: 'HS256', typ: 'JWT' });
  t.same(JSON.parse(Buffer.from(payload!, 'base64url').toString()), { sub: 'user-1', exp: 2_000_000_000 });
  const expected = createHmac('sha256', 'secret').update(`${header}.${payload}`).digest('base64url');
  t.equal(signature, expected);
});
