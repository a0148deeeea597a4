/** What one benchmark run does; `--quick` shrinks everything for a smoke run of a few minutes. */
export interface BenchSettings {
  quick: boolean;
  /** Connected clients in the delivery workloads, in rooms of `roomSize`. */
  clients: number;
  roomSize: number;
  /**
   * Full stack: sockets each user holds (a phone and a browser, say). A room of `roomSize` clients
   * is a group of `roomSize / devicesPerUser` users; fewer users keep the set-up (registering
   * each through the API) short.
   */
  devicesPerUser: number;
  payloadBytes: number;
  /** Runs per measured figure; each figure is their median. */
  runs: number;
  runMs: number;
  /** How long after the last send a delivery still counts. */
  drainMs: number;
  /** The rate search: steps of `searchStepMs`, the rate multiplied by `searchFactor` each time. */
  searchStepMs: number;
  searchFactor: number;
  searchMaxSteps: number;
  /** A step "blows up" when its 99th percentile latency exceeds this. */
  p99LimitMs: number;
  /** Idle connections held on one gateway for the memory figure. */
  idleClients: number[];
  /** How long each step of the idle test may spend connecting before it measures what it holds. */
  idleConnectMs: number;
  /** Requests per second and duration of the Dapr hop runs. */
  daprRate: number;
  daprRunMs: number;
  /** Register the full stack's users again instead of reusing those of an earlier run. */
  fresh: boolean;
  /**
   * Profile every Node process of the full stack in turn (one run each at the sustainable rate)
   * and keep the raw V8 profiles beside the report, not only the busier of gateway and chat.
   */
  profileAll: boolean;
  /** Scenarios to run (all by default). */
  only: Set<ScenarioName>;
}

export const SCENARIOS = ['full', 'bare', 'centrifugo', 'dapr'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export function parseSettings(argv: readonly string[]): BenchSettings {
  const quick = argv.includes('--quick');
  const value = (name: string) => argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
  const only = value('only')?.split(',') ?? [...SCENARIOS];
  for (const name of only) {
    if (!SCENARIOS.includes(name as ScenarioName)) {
      throw new Error(`unknown scenario ${name} in --only (known: ${SCENARIOS.join(', ')})`);
    }
  }
  const runs = Number(value('runs') ?? (quick ? 2 : 3));
  if (!(runs >= 1)) throw new Error('--runs must be a positive number');
  return {
    quick,
    clients: quick ? 200 : 2_000,
    roomSize: 10,
    devicesPerUser: 2,
    payloadBytes: 200,
    runs,
    runMs: quick ? 3_000 : 5_000,
    drainMs: quick ? 2_000 : 3_000,
    searchStepMs: quick ? 2_500 : 3_000,
    searchFactor: quick ? 2 : 1.5,
    searchMaxSteps: quick ? 5 : 8,
    p99LimitMs: 250,
    idleClients: quick ? [500, 1_000] : [5_000, 10_000],
    idleConnectMs: quick ? 60_000 : 150_000,
    daprRate: quick ? 100 : 200,
    daprRunMs: quick ? 3_000 : 4_000,
    fresh: argv.includes('--fresh'),
    profileAll: argv.includes('--profile-all'),
    only: new Set(only as ScenarioName[]),
  };
}
