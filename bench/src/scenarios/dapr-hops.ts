import { mkdirSync, writeFileSync } from 'node:fs';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import { join } from 'node:path';
import { freePort, toolBin } from '@parley/devstack';
import { type Started, start, startRedis, waitForPort } from '../processes';
import { runSchedule } from '../schedule';
import { type LatencySummary, type Spread, spread, summarise } from '../stats';
import type { Context } from './context';

/** One way of making the call: its latency per run, and the median of each figure over runs. */
export interface CallFigures {
  p50Ms: Spread;
  p99Ms: Spread;
  failures: number;
  runs: LatencySummary[];
}

export interface DaprHopsResult {
  rate: number;
  invokeDirect: CallFigures;
  invokeViaDapr: CallFigures;
  publishDirect: CallFigures;
  publishViaDapr: CallFigures;
}

type CallName = 'invokeDirect' | 'invokeViaDapr' | 'publishDirect' | 'publishViaDapr';

const CALLER = 'bench-caller';
const CALLEE = 'bench-callee';

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

/** Writes the components and configuration the two sidecars load, all on loopback. */
function writeDaprFiles(dir: string, redisPort: number): { components: string; config: string } {
  const components = join(dir, 'components');
  mkdirSync(components, { recursive: true });
  writeFileSync(
    join(components, 'pubsub.yaml'),
    [
      'apiVersion: dapr.io/v1alpha1',
      'kind: Component',
      'metadata: { name: pubsub }',
      'spec:',
      '  type: pubsub.redis',
      '  version: v1',
      '  metadata:',
      `    - { name: redisHost, value: '127.0.0.1:${redisPort}' }`,
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(components, 'subscription.yaml'),
    [
      'apiVersion: dapr.io/v2alpha1',
      'kind: Subscription',
      'metadata: { name: bench-events }',
      'spec:',
      '  pubsubname: pubsub',
      '  topic: bench.events',
      '  routes: { default: /events }',
      `scopes: [${CALLEE}]`,
      '',
    ].join('\n'),
  );
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    [
      'apiVersion: dapr.io/v1alpha1',
      'kind: Configuration',
      'metadata: { name: bench }',
      'spec:',
      '  nameResolution:',
      '    component: sqlite',
      '    version: v1',
      '    configuration: { connectionString: nameresolution.db }',
      '',
    ].join('\n'),
  );
  return { components, config };
}

async function sidecar(
  dir: string,
  files: { components: string; config: string },
  appId: string,
  appPort?: number,
): Promise<{ process: Started; httpPort: number }> {
  const [httpPort, grpcPort, internalPort, metricsPort] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  const args = [
    ...['--app-id', appId, '--mode', 'standalone'],
    ...['--dapr-http-port', String(httpPort), '--dapr-grpc-port', String(grpcPort)],
    ...['--dapr-internal-grpc-port', String(internalPort), '--metrics-port', String(metricsPort)],
    ...['--dapr-listen-addresses', '127.0.0.1', '--dapr-internal-grpc-listen-address', '127.0.0.1'],
    ...[
      '--metrics-listen-address',
      '127.0.0.1',
      '--resources-path',
      files.components,
      '--config',
      files.config,
    ],
    ...['--placement-host-address', '', '--scheduler-host-address', '', '--log-level', 'error'],
    ...(appPort
      ? ['--app-port', String(appPort), '--app-protocol', 'http', '--app-channel-address', '127.0.0.1']
      : []),
  ];
  // The SQLite name-resolution table sits in the working folder both sidecars share.
  const proc = start(`${appId}-dapr`, toolBin('daprd'), args, { cwd: dir });
  return { process: proc, httpPort };
}

/**
 * Configuration 4: a service invocation and a publish through two Dapr sidecars, against the same
 * call made directly to the app, at a fixed arrival rate. The app and the caller share this
 * process, so the publish latency is read on one clock.
 */
export async function daprHops(ctx: Context): Promise<DaprHopsResult> {
  const { settings, log, rawDir } = ctx;
  const dir = join(rawDir, 'dapr');
  mkdirSync(dir, { recursive: true });
  const redisPort = await freePort();
  const redis = await startRedis(redisPort);
  const files = writeDaprFiles(dir, redisPort);
  let onEvent: (sentAt: number) => void = () => {};
  const app = createServer((req: IncomingMessage, res: ServerResponse) => {
    void readBody(req).then((body) => {
      if (req.url === '/events') {
        const event = JSON.parse(body) as { data?: { sentAt?: number }; sentAt?: number };
        onEvent(event.data?.sentAt ?? event.sentAt ?? Number.NaN);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"SUCCESS"}');
      } else if (req.url === '/dapr/subscribe') {
        res.writeHead(200, { 'content-type': 'application/json' }).end('[]');
      } else {
        res.writeHead(200, { 'content-type': 'application/json' }).end(body || '{}');
      }
    });
  });
  const appPort = await freePort();
  await new Promise<void>((resolve) => app.listen(appPort, '127.0.0.1', resolve));
  const sidecars: Started[] = [];
  try {
    const callee = await sidecar(dir, files, CALLEE, appPort);
    sidecars.push(callee.process);
    const caller = await sidecar(dir, files, CALLER);
    sidecars.push(caller.process);
    await Promise.all([
      waitForHealth(callee.httpPort, callee.process),
      waitForHealth(caller.httpPort, caller.process),
    ]);
    log(`Dapr hops: two sidecars up (${CALLER} -> ${CALLEE}), Redis on ${redisPort}`);
    const body = JSON.stringify({ text: 'x'.repeat(settings.payloadBytes) });
    const invoke = (url: string) => async () => {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      await res.arrayBuffer();
      if (!res.ok) throw new Error(`answered ${res.status}`);
    };
    const publish = (url: string) => async (sentAt: number) => {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ sentAt, text: 'x'.repeat(settings.payloadBytes) }),
      });
      await res.arrayBuffer();
      if (!res.ok) throw new Error(`answered ${res.status}`);
    };
    const calls = {
      invokeDirect: invoke(`http://127.0.0.1:${appPort}/echo`),
      invokeViaDapr: invoke(`http://127.0.0.1:${caller.httpPort}/v1.0/invoke/${CALLEE}/method/echo`),
    };
    const publishes = {
      publishDirect: publish(`http://127.0.0.1:${appPort}/events`),
      publishViaDapr: publish(`http://127.0.0.1:${caller.httpPort}/v1.0/publish/pubsub/bench.events`),
    };
    // Warm up both paths (connections, name resolution, the subscription) before measuring.
    for (let i = 0; i < 20; i++) {
      await calls.invokeViaDapr();
      await publishes.publishViaDapr(performance.now());
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const runs: Record<CallName, LatencySummary[]> = {
      invokeDirect: [],
      invokeViaDapr: [],
      publishDirect: [],
      publishViaDapr: [],
    };
    const failures: Record<CallName, number> = {
      invokeDirect: 0,
      invokeViaDapr: 0,
      publishDirect: 0,
      publishViaDapr: 0,
    };
    /** An invocation counts from its planned time to its answer. */
    const timeInvocations = async (name: 'invokeDirect' | 'invokeViaDapr') => {
      const latencies: number[] = [];
      const pending: Promise<void>[] = [];
      await runSchedule(settings.daprRate, settings.daprRunMs, (_i, plannedAt) => {
        pending.push(
          calls[name]().then(
            () => void latencies.push(performance.now() - plannedAt),
            () => void (failures[name] += 1),
          ),
        );
      });
      await Promise.all(pending);
      runs[name].push(summarise(latencies));
    };
    /** A publish counts from its planned time to its arrival at the subscriber's handler. */
    const timePublishes = async (name: 'publishDirect' | 'publishViaDapr') => {
      const latencies: number[] = [];
      onEvent = (sentAt) => latencies.push(performance.now() - sentAt);
      const { planned } = await runSchedule(settings.daprRate, settings.daprRunMs, (_i, plannedAt) => {
        publishes[name](plannedAt).catch(() => undefined);
      });
      const deadline = performance.now() + settings.drainMs;
      while (latencies.length < planned.length && performance.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      failures[name] += planned.length - latencies.length;
      runs[name].push(summarise(latencies));
    };
    const p99 = (name: CallName) => runs[name].at(-1)!.p99.toFixed(1);
    for (let run = 0; run < settings.runs; run++) {
      await timeInvocations('invokeDirect');
      await timeInvocations('invokeViaDapr');
      await timePublishes('publishDirect');
      await timePublishes('publishViaDapr');
      log(
        `  Dapr hops run ${run + 1}/${settings.runs} at ${settings.daprRate}/s, p99: ` +
          `invoke direct ${p99('invokeDirect')} ms, via two sidecars ${p99('invokeViaDapr')} ms; ` +
          `publish direct ${p99('publishDirect')} ms, via two sidecars ${p99('publishViaDapr')} ms`,
      );
    }
    const figures = (name: CallName): CallFigures => ({
      p50Ms: spread(runs[name].map((r) => r.p50)),
      p99Ms: spread(runs[name].map((r) => r.p99)),
      failures: failures[name],
      runs: runs[name],
    });
    return {
      rate: settings.daprRate,
      invokeDirect: figures('invokeDirect'),
      invokeViaDapr: figures('invokeViaDapr'),
      publishDirect: figures('publishDirect'),
      publishViaDapr: figures('publishViaDapr'),
    };
  } finally {
    await Promise.all(sidecars.map((s) => s.stop()));
    await new Promise((resolve) => app.close(resolve));
    await redis.stop();
  }
}

async function waitForHealth(port: number, proc: Started, timeoutMs = 60_000): Promise<void> {
  await waitForPort(port, proc, timeoutMs);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const res = await fetch(`http://127.0.0.1:${port}/v1.0/healthz`).catch(() => undefined);
    if (res?.status === 204) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`sidecar on ${port} not healthy:\n${proc.tail.join('\n')}`);
}
