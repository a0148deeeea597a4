import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Stack, freePortPlan } from '@parley/devstack';
import { LoadGenerator } from '../loadgen/driver';
import type { ClientSpec, RoomSpec } from '../loadgen/protocol';
import {
  type Measurement,
  type SearchStep,
  type Target,
  measure,
  measureSustainable,
  runOnce,
  searchRate,
} from '../measure';
import { onExit } from '../processes';
import { CpuMeter, raiseOpenFileLimit, rssBytes, total } from '../proc';
import { type ProfileSummary, profileProcess, withInspector } from '../profile';
import { type Context, sourceAddress } from './context';
import { type CommandCost, commandCosts, readCommandTotals } from './db-commands';
import { type BenchUser, createGroups, refreshTokens, registerUsers } from './parley-api';

export interface IdleMemory {
  clients: number;
  rssBeforeBytes: number;
  rssAfterBytes: number;
  bytesPerConnection: number;
}

export interface FullStackResult {
  search: SearchStep[];
  sustainableRate: number;
  atSustainable: Measurement;
  /** Half the sustainable rate: latency, and the CPU price of a second gateway. */
  referenceRate: number;
  oneGateway: Measurement;
  twoGateways?: Measurement;
  idleMemory: IdleMemory[];
  profile?: ProfileSummary;
  /** CPU seconds per stack process over the sustainable-rate runs, to find the hottest. */
  cpuByProcess: Record<string, number>;
  /** Database commands per message sent over the sustainable-rate runs, by service. */
  dbCommands: CommandCost[];
  setupSeconds: { start: number; users: number };
}

/**
 * Waits until the stack's processes have settled: their CPU over two seconds is low (a fifth of a
 * core) or no longer falling, so that set-up work or a backlog does not run into a measurement.
 */
async function waitUntilQuiet(
  pids: () => Record<string, number>,
  log: (text: string) => void,
  maxMs = 120_000,
): Promise<void> {
  const deadline = Date.now() + maxMs;
  let previous = Number.POSITIVE_INFINITY;
  for (;;) {
    const meter = new CpuMeter(pids()).start();
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const cores = total(meter.stop()) / 2;
    if (cores < 0.2 || cores > previous * 0.85 || Date.now() > deadline) {
      log(`full stack: settled (the stack uses ${cores.toFixed(2)} cores at rest)`);
      return;
    }
    previous = cores;
  }
}

/** The stack's process ids by name, from the pid file it keeps in its data folder. */
function stackPids(stack: Stack, dataDir: string): Record<string, number> {
  const groups = JSON.parse(readFileSync(join(dataDir, 'pids.json'), 'utf8')) as { pid: number }[];
  const names = stack.processNames();
  return Object.fromEntries(names.map((name, i) => [name, groups[i]?.pid ?? -1]));
}

/**
 * Configurations 1, 3 and 6 on one real stack (two gateway replicas, the second stopped while one
 * gateway is measured): client emit -> gateway -> chat (stored) -> Dapr pub/sub -> gateway -> room.
 */
export async function fullStack(ctx: Context): Promise<FullStackResult> {
  const { settings, log } = ctx;
  const cache = stackCache(ctx);
  const userCount = settings.clients / settings.devicesPerUser;
  const ports = await freePortPlan(2);
  const commandStatsDir = join(ctx.rawDir, 'mongo-commands');
  mkdirSync(commandStatsDir, { recursive: true });
  const lines: string[] = [];
  const stack = new Stack({
    dataDir: cache.dataDir,
    ports,
    sink: (name, line) => {
      lines.push(`${name} | ${line}`);
      if (lines.length > 2_000) lines.shift();
    },
    logLevel: 'error',
    startTimeoutMs: 240_000,
    env: {
      // Set-up only: cheap password hashes and tokens that outlive a run; the registration and
      // login budgets per address would otherwise stop the benchmark registering its users.
      BCRYPT_COST: '4',
      ACCESS_TOKEN_TTL: String(TOKEN_TTL_SECONDS),
      RATE_LIMIT_REGISTER_PER_IP: '1000000',
      RATE_LIMIT_LOGIN_PER_IP: '1000000',
      // Each room's messages come from few of its users, far faster than people write: the
      // per-user send budget, an abuse limit, would refuse them and cap the rate it measures.
      RATE_LIMIT_SEND_BURST: '1000000',
      RATE_LIMIT_SENDS_PER_MINUTE: '1000000',
      // Counts of each service's database commands, to say what one message costs.
      MONGO_COMMAND_STATS_DIR: commandStatsDir,
    },
  });
  const forget = onExit(() => stack.killAllNow());
  const loadgen = new LoadGenerator(log);
  const dataDir = cache.dataDir;
  try {
    log('full stack: starting (Redis, FerretDB, Temporal, every service with its sidecar, 2 gateways)');
    let t0 = performance.now();
    await stack.start();
    const startSeconds = (performance.now() - t0) / 1000;
    const gateways = [ports.apps.gateway.app, ...ports.extraGateways.map((p) => p.app)].map(
      (port) => `http://127.0.0.1:${port}`,
    );
    t0 = performance.now();
    const groupSize = settings.roomSize / settings.devicesPerUser;
    const saved = cache.saved ?? { users: [] };
    log(
      `full stack: up in ${startSeconds.toFixed(0)} s; ${Math.min(saved.users.length, userCount)} of ` +
        `${userCount} users kept from earlier runs`,
    );
    await refreshTokens(gateways[0]!, saved.users, 3600);
    let users = saved.users;
    let rooms = saved.rooms ?? [];
    if (users.length < userCount) {
      users = await registerUsers(gateways[0]!, userCount, users, log, (progress) =>
        cache.save({ users: progress, ...(rooms.length ? { rooms } : {}) }),
      );
    }
    // Groups for the users that have none yet (all of them after an interrupted set-up).
    const grouped = rooms.length * groupSize;
    if (grouped < userCount) {
      rooms = [...rooms, ...(await createGroups(gateways[0]!, users, groupSize, grouped, log))];
      cache.save({ users, rooms });
    }
    // A run smaller than an earlier one uses the first users and the groups made of them.
    users = users.slice(0, userCount);
    rooms = rooms.filter((room) => room.members.every((m) => m < userCount));
    const usersSeconds = (performance.now() - t0) / 1000;
    log(
      `full stack: ${users.length} users (${settings.devicesPerUser} sockets each) in ${rooms.length} groups, ` +
        `ready in ${usersSeconds.toFixed(0)} s`,
    );

    // Registrations leave work behind (verification emails, search indexing): let it finish.
    await waitUntilQuiet(() => stackPids(stack, dataDir), log);

    // One gateway: the second replica and its sidecar stop until configuration 3.
    await stack.kill('gateway-2');
    await stack.kill('gateway-2-dapr');
    // Client c is a socket of user c modulo the users: device 1 of every user, then device 2...
    // A room's clients are every device of each of its members.
    const clientsOn = (urls: string[], count = users.length, from = 0): ClientSpec[] =>
      Array.from({ length: count }, (_, i) => ({
        url: urls[(from + i) % urls.length]!,
        token: users[(from + i) % users.length]!.accessToken,
        rooms: [],
        localAddress: sourceAddress(from + i),
      }));
    const clientRooms: RoomSpec[] = rooms.map((room) => ({
      id: room.id,
      members: room.members.flatMap((user) =>
        Array.from({ length: settings.devicesPerUser }, (_, device) => device * users.length + user),
      ),
    }));
    await connectReporting(loadgen, clientsOn([gateways[0]!], settings.clients), log);
    const pids = () => {
      const all = stackPids(stack, dataDir);
      return Object.fromEntries(Object.entries(all).filter(([name]) => !name.startsWith('gateway-2')));
    };
    // Connecting leaves work behind too (presence announced to each user's audience).
    await waitUntilQuiet(pids, log, 60_000);
    const target: Target = {
      config: 'full stack',
      loadgen,
      serverPids: pids,
      spec: { payloadBytes: settings.payloadBytes, rooms: clientRooms },
      settle: () => waitUntilQuiet(pids, () => undefined, 60_000),
    };
    // A conversation's first message costs more than the ones after it (each service makes its
    // records and fills its caches then): one message in every room first, unmeasured, so the
    // search meets the steady state rather than a cold start. Messages go to the rooms in turn.
    const warmRate = 10;
    log(`full stack: warming up, one message in each of ${clientRooms.length} rooms`);
    await runOnce(target, warmRate, Math.ceil((clientRooms.length / warmRate) * 1000), settings.drainMs);
    await waitUntilQuiet(pids, log, 60_000);
    log('full stack: searching the sustainable rate');
    const found = await searchRate(target, settings.quick ? 10 : 20, settings, log);
    log(`full stack: sustainable rate ${found.rate} msg/s; measuring ${settings.runs} runs`);
    let commandsBefore = readCommandTotals(commandStatsDir);
    const search = await measureSustainable(target, found, settings, log, async () => {
      // The step that was too much may have left a queue behind.
      await waitUntilQuiet(pids, log, 60_000);
      commandsBefore = readCommandTotals(commandStatsDir);
    });
    const atSustainable = search.measurement;
    // The services write their counts every second.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const dbCommands = commandCosts(
      commandsBefore,
      readCommandTotals(commandStatsDir),
      total(Object.fromEntries(atSustainable.runs.map((run, i) => [i, run.sent]))),
    );
    const cpuByProcess = sumCpu(atSustainable);
    const referenceRate = Math.max(1, Math.round(search.rate / 2));
    log(`full stack: one gateway at half the sustainable rate, ${referenceRate} msg/s`);
    const oneGateway = await measure(
      { ...target, config: 'full stack, 1 gateway' },
      referenceRate,
      settings,
      log,
    );

    const profile = await profileHottest(ctx, stack, dataDir, cpuByProcess, () =>
      runOnce(target, search.rate, settings.runMs, settings.drainMs),
    );
    if (settings.profileAll) {
      await profileEach(ctx, stack, dataDir, () =>
        runOnce(target, search.rate, settings.runMs, settings.drainMs),
      );
    }

    log('full stack: starting the second gateway replica; clients spread over both');
    let twoGateways: Measurement | undefined;
    try {
      await stack.restart('gateway-2', 'gateway-2-dapr');
      // Every other user's sockets move to the second gateway; rooms then span both.
      const moved = clientsOn(gateways, settings.clients)
        .map((spec, index) => ({ spec, index }))
        .filter(({ spec }) => spec.url === gateways[1]);
      log(`full stack: moving ${moved.length} clients to the second gateway`);
      const answer = await loadgen.connect(
        'parley',
        moved.map((m) => m.spec),
        { concurrency: 20, replace: moved.map((m) => m.index), withinMs: CONNECT_WITHIN_MS },
      );
      if (answer.count < moved.length) {
        throw new Error(`${answer.failed} clients could not connect: ${answer.firstError}`);
      }
      const bothPids = () => stackPids(stack, dataDir);
      await waitUntilQuiet(bothPids, log, 60_000);
      twoGateways = await measure(
        {
          ...target,
          config: 'full stack, 2 gateways',
          serverPids: bothPids,
          settle: () => waitUntilQuiet(bothPids, () => undefined, 60_000),
        },
        referenceRate,
        settings,
        log,
      );
    } catch (err) {
      log(`full stack: two gateways could not be measured: ${(err as Error).message}`);
    }
    await loadgen.disconnect();

    const idleMemory = await measureIdleMemory(
      ctx,
      loadgen,
      stackPids(stack, dataDir).gateway!,
      clientsOn,
      gateways[0]!,
    );
    return {
      search: search.steps,
      sustainableRate: search.rate,
      atSustainable,
      referenceRate,
      oneGateway,
      ...(twoGateways ? { twoGateways } : {}),
      idleMemory,
      ...(profile ? { profile } : {}),
      cpuByProcess,
      dbCommands,
      setupSeconds: { start: Math.round(startSeconds), users: Math.round(usersSeconds) },
    };
  } catch (err) {
    log(`full stack: failed; last lines of the stack:\n${lines.slice(-40).join('\n')}`);
    throw err;
  } finally {
    loadgen.stop();
    log('full stack: stopping');
    await stack.stop();
    forget();
    // The stack's last lines (warnings and errors only), for looking into a surprising figure.
    writeFileSync(join(ctx.rawDir, 'stack.log'), `${lines.join('\n')}\n`);
  }
}

async function connectReporting(loadgen: LoadGenerator, clients: ClientSpec[], log: (text: string) => void) {
  log(`full stack: connecting ${clients.length} clients`);
  const answer = await loadgen.connect('parley', clients, { concurrency: 20, withinMs: CONNECT_WITHIN_MS });
  log(`full stack: ${answer.count} clients connected in ${(answer.ms / 1000).toFixed(1)} s`);
  if (answer.count < clients.length)
    throw new Error(`${answer.failed} clients could not connect: ${answer.firstError}`);
}

function sumCpu(measurement: Measurement): Record<string, number> {
  const sums: Record<string, number> = {};
  for (const run of measurement.runs) {
    for (const [name, seconds] of Object.entries(run.serverCpu)) sums[name] = (sums[name] ?? 0) + seconds;
  }
  return Object.fromEntries(Object.entries(sums).map(([n, s]) => [n, Math.round(s * 100) / 100]));
}

/** A CPU profile of the gateway or the chat service, whichever used more CPU. */
async function profileHottest(
  ctx: Context,
  stack: Stack,
  dataDir: string,
  cpuByProcess: Record<string, number>,
  during: () => Promise<unknown>,
): Promise<ProfileSummary | undefined> {
  // The processes of the message path; others (search, analytics) only consume its events.
  const nodeApps = ['gateway', 'chat'];
  const hottest = Object.entries(cpuByProcess)
    .filter(([name]) => nodeApps.includes(name))
    .sort((a, b) => b[1] - a[1])[0]?.[0];
  if (!hottest) return undefined;
  const pid = stackPids(stack, dataDir)[hottest]!;
  const script = `services/${hottest}/dist/main.js`;
  ctx.log(
    `full stack: profiling ${hottest} (the busier of gateway and chat) during one run at the sustainable rate`,
  );
  try {
    return await profileProcess(pid, hottest, script, during);
  } catch (err) {
    ctx.log(`full stack: no profile: ${(err as Error).message}`);
    return undefined;
  }
}

/**
 * With `--profile-all`: every Node process of the stack profiled in turn, one run at the
 * sustainable rate each; the raw profiles (`<process>.cpuprofile`, for Chrome's DevTools) and
 * their summaries go beside the report.
 */
async function profileEach(ctx: Context, stack: Stack, dataDir: string, during: () => Promise<unknown>) {
  const pids = stackPids(stack, dataDir);
  const summaries: ProfileSummary[] = [];
  for (const name of ['gateway', 'chat', 'notification', 'search', 'analytics', 'media', 'auth', 'worker']) {
    const pid = pids[name];
    if (!pid) continue;
    const script = name === 'worker' ? 'workflows/dist/worker.js' : `services/${name}/dist/main.js`;
    ctx.log(`full stack: profiling ${name} during one run at the sustainable rate`);
    try {
      summaries.push(
        await profileProcess(pid, name, script, during, (raw) =>
          writeFileSync(join(ctx.rawDir, `${name}.cpuprofile`), JSON.stringify(raw)),
        ),
      );
    } catch (err) {
      ctx.log(`full stack: no profile of ${name}: ${(err as Error).message}`);
    }
  }
  writeFileSync(join(ctx.rawDir, 'profiles.json'), `${JSON.stringify(summaries, null, 2)}\n`);
}

/** Configuration 6: resident memory of one gateway per idle connection, at growing counts. */
async function measureIdleMemory(
  ctx: Context,
  loadgen: LoadGenerator,
  gatewayPid: number,
  clientsOn: (urls: string[], count?: number, from?: number) => ClientSpec[],
  gateway: string,
): Promise<IdleMemory[]> {
  const { settings, log } = ctx;
  // Each reading follows a full garbage collection, so it counts what the connections hold rather
  // than garbage the collector has not reached yet (which made readings swing by tens of KB).
  const settle = async () => {
    await new Promise((resolve) => setTimeout(resolve, settings.quick ? 2_000 : 5_000));
    try {
      await withInspector(gatewayPid, 'gateway', 'services/gateway/dist/main.js', (call) =>
        call('HeapProfiler.collectGarbage'),
      );
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    } catch (err) {
      log(`idle memory: no garbage collection before the reading: ${(err as Error).message}`);
    }
    return rssBytes(gatewayPid);
  };
  const most = Math.max(...settings.idleClients);
  for (const [name, pid] of [
    ['load generator', loadgen.pid],
    ['gateway', gatewayPid],
  ] as const) {
    const limit = raiseOpenFileLimit(pid, most + 1_000);
    if (limit < most + 1_000) log(`idle memory: the ${name} may open only ${limit} files; expect refusals`);
  }
  const before = await settle();
  log(`idle memory: gateway RSS ${(before / 2 ** 20).toFixed(0)} MiB with no clients`);
  const results: IdleMemory[] = [];
  let held = 0;
  for (const count of [...settings.idleClients].sort((a, b) => a - b)) {
    log(`idle memory: connecting ${count - held} more clients (${count} in all)`);
    const wanted = count - held;
    const answer = await loadgen.connect('parley', clientsOn([gateway], wanted, held), {
      concurrency: 50,
      append: true,
      withinMs: settings.idleConnectMs,
    });
    held += answer.count;
    if (answer.count < wanted) {
      log(`idle memory: only ${held} of ${count} clients connected in the time allowed; measuring those`);
    }
    if (held < MIN_IDLE_CLIENTS) {
      log(`idle memory: ${held} clients are too few for a figure per connection; stopping here`);
      break;
    }
    const after = await settle();
    const bytesPerConnection = (after - before) / held;
    log(
      `idle memory: ${held} clients, RSS ${(after / 2 ** 20).toFixed(0)} MiB, ` +
        `${(bytesPerConnection / 1000).toFixed(1)} KB each`,
    );
    results.push({ clients: held, rssBeforeBytes: before, rssAfterBytes: after, bytesPerConnection });
  }
  await loadgen.disconnect();
  return results;
}

const TOKEN_TTL_SECONDS = 12 * 3600;
/** Below this many idle clients, heap noise outweighs their memory. */
const MIN_IDLE_CLIENTS = 200;
/** How long connecting the workload's clients may take before the scenario gives up. */
const CONNECT_WITHIN_MS = 180_000;

/** Users registered so far, and their rooms once every user is in one. */
interface SavedUsers {
  users: BenchUser[];
  rooms?: RoomSpec[];
}

/**
 * The stack's data folder and its registered users and groups, kept (git-ignored) in
 * bench/results/raw/stack between runs: registering users through the API takes minutes, and is
 * set-up, not what is measured. A larger run adds users; `--fresh` starts from an empty folder.
 */
function stackCache(ctx: Context) {
  const { settings } = ctx;
  const dir = join(ctx.rawDir, '..', 'stack');
  const usersFile = join(dir, 'users.json');
  if (settings.fresh) rmSync(dir, { recursive: true, force: true });
  let saved: SavedUsers | undefined;
  if (existsSync(usersFile)) saved = JSON.parse(readFileSync(usersFile, 'utf8')) as SavedUsers;
  else rmSync(dir, { recursive: true, force: true });
  const dataDir = join(dir, 'data');
  mkdirSync(dataDir, { recursive: true });
  return {
    dataDir,
    saved,
    save(users: SavedUsers) {
      writeFileSync(usersFile, `${JSON.stringify(users)}\n`, { mode: 0o600 });
    },
  };
}

export type { BenchUser };
