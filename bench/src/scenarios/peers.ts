import { createHmac, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, toolBin } from '@parley/devstack';
import { LoadGenerator } from '../loadgen/driver';
import type { ClientKind, ClientSpec, RunSpec } from '../loadgen/protocol';
import {
  type Measurement,
  type SearchStep,
  type Target,
  measure,
  measureSustainable,
  searchRate,
} from '../measure';
import { type Started, start, startRedis, waitForPort } from '../processes';
import { type Context, roomsOf } from './context';

/** A message path measured beside the full stack: its sustainable rate and figures at set rates. */
export interface PeerResult {
  config: string;
  search: SearchStep[];
  sustainableRate: number;
  atSustainable: Measurement;
  /** At the rate the full stack was compared at (half its own sustainable rate). */
  atReferenceRate?: Measurement;
}

interface PeerServer {
  processes: Record<string, Started>;
  kind: ClientKind;
  clients: ClientSpec[];
  publishApi?: RunSpec['publishApi'];
}

async function measurePeer(
  ctx: Context,
  config: string,
  server: PeerServer,
  startRate: number,
  referenceRate: number | undefined,
): Promise<PeerResult> {
  const { settings, log } = ctx;
  const loadgen = new LoadGenerator(log);
  try {
    log(`${config}: connecting ${server.clients.length} clients`);
    const connected = await loadgen.connect(server.kind, server.clients);
    log(`${config}: ${connected.count} clients connected in ${(connected.ms / 1000).toFixed(1)} s`);
    const rooms = roomsOf(
      settings.clients,
      settings.roomSize,
      (r) => server.clients[r * settings.roomSize]!.rooms[0]!,
    );
    const target: Target = {
      config,
      loadgen,
      serverPids: () => Object.fromEntries(Object.entries(server.processes).map(([n, p]) => [n, p.pid])),
      spec: {
        payloadBytes: settings.payloadBytes,
        rooms,
        ...(server.publishApi ? { publishApi: server.publishApi } : {}),
      },
    };
    log(`${config}: searching the sustainable rate`);
    const found = await searchRate(target, startRate, settings, log);
    log(`${config}: sustainable rate ${found.rate} msg/s; measuring ${settings.runs} runs`);
    // The step that was too much may have left a queue behind.
    const search = await measureSustainable(
      target,
      found,
      settings,
      log,
      () => new Promise((resolve) => setTimeout(resolve, 2_000)),
    );
    const atSustainable = search.measurement;
    let atReferenceRate: Measurement | undefined;
    if (referenceRate) {
      log(`${config}: measuring at the full stack's reference rate, ${referenceRate} msg/s`);
      atReferenceRate = await measure(
        { ...target, config: `${config} @ reference` },
        referenceRate,
        settings,
        log,
      );
    }
    await loadgen.disconnect();
    return {
      config,
      search: search.steps,
      sustainableRate: search.rate,
      atSustainable,
      ...(atReferenceRate ? { atReferenceRate } : {}),
    };
  } finally {
    loadgen.stop();
  }
}

/** Configuration 2: a bare Socket.IO server with the Redis adapter broadcasting to rooms. */
export async function bareSocketIo(ctx: Context, referenceRate?: number): Promise<PeerResult> {
  const { settings, log } = ctx;
  const redisPort = await freePort();
  const redis = await startRedis(redisPort);
  const port = await freePort();
  const server = start('bare socket.io', process.execPath, [
    '--import',
    'tsx',
    join(__dirname, '..', 'targets', 'bare-socketio.ts'),
    String(port),
    String(redisPort),
  ]);
  try {
    await waitForPort(port, server);
    log(`bare Socket.IO: server on port ${port}, Redis on ${redisPort}`);
    const clients = Array.from({ length: settings.clients }, (_, c) => ({
      url: `http://127.0.0.1:${port}`,
      rooms: [`room:${Math.floor(c / settings.roomSize)}`],
    }));
    const startRate = settings.quick ? 100 : 200;
    return await measurePeer(
      ctx,
      'bare Socket.IO',
      { processes: { 'socket.io server': server, redis }, kind: 'socketio', clients },
      startRate,
      referenceRate,
    );
  } finally {
    await server.stop();
    await redis.stop();
  }
}

/** An HS256 JWT, as Centrifugo's connection token. */
export function hs256Token(claims: Record<string, unknown>, secret: string): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode(claims)}`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}

/** Configuration 5: Centrifugo with its Redis engine, messages published through its HTTP API. */
export async function centrifugo(ctx: Context, referenceRate?: number): Promise<PeerResult> {
  const { settings, log, rawDir } = ctx;
  const redisPort = await freePort();
  const redis = await startRedis(redisPort);
  const port = await freePort();
  const secret = randomBytes(24).toString('hex');
  const apiKey = randomBytes(24).toString('hex');
  const config = {
    http_server: { address: '127.0.0.1', port },
    log: { level: 'error' },
    engine: { type: 'redis', redis: { address: [`redis://127.0.0.1:${redisPort}`] } },
    client: { token: { hmac_secret_key: secret }, allowed_origins: [`http://127.0.0.1:${port}`] },
    channel: { without_namespace: { allow_subscribe_for_client: true } },
    http_api: { key: apiKey },
    usage_stats: { disabled: true },
  };
  const configFile = join(rawDir, 'centrifugo.json');
  writeFileSync(configFile, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  const server = start('centrifugo', toolBin('centrifugo'), ['--config', configFile]);
  try {
    await waitForPort(port, server);
    log(`Centrifugo: on port ${port}, Redis engine on ${redisPort}`);
    const exp = Math.floor(Date.now() / 1000) + 24 * 3600;
    const clients = Array.from({ length: settings.clients }, (_, c) => ({
      url: `ws://127.0.0.1:${port}/connection/websocket`,
      token: hs256Token({ sub: `user-${c}`, exp }, secret),
      rooms: [`room-${Math.floor(c / settings.roomSize)}`],
    }));
    const startRate = settings.quick ? 100 : 200;
    return await measurePeer(
      ctx,
      'Centrifugo',
      {
        processes: { centrifugo: server, redis },
        kind: 'centrifugo',
        clients,
        publishApi: { url: `http://127.0.0.1:${port}/api/publish`, key: apiKey },
      },
      startRate,
      referenceRate,
    );
  } finally {
    await server.stop();
    await redis.stop();
  }
}
