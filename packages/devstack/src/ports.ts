import { createServer } from 'node:net';
import { DAPR_APPS, type DaprApp } from '@parley/contracts';

/** Ports of one app: its own HTTP server and its sidecar's. */
export interface AppPorts {
  app: number;
  daprHttp: number;
  daprGrpc: number;
  daprInternalGrpc: number;
  daprMetrics: number;
}

export interface PortPlan {
  redis: number;
  mongo: number;
  temporal: number;
  temporalUi: number;
  azuriteBlob: number;
  smtp: number;
  mailWeb: number;
  apps: Record<DaprApp, AppPorts>;
  /** Further gateway processes beside the first (same app id, own ports and sidecar). */
  extraGateways: AppPorts[];
}

/**
 * The ports `npm start` uses, all offsets from one base so that a single variable moves them:
 * the gateway at base, the apps at base+10.., their sidecars at base+100.., infrastructure at base+200...
 */
export function fixedPortPlan(base = 4400, gatewayReplicas = 1): PortPlan {
  const apps = Object.fromEntries(
    DAPR_APPS.map((app, i) => [
      app,
      {
        app: i === 0 ? base : base + 10 + i,
        daprHttp: base + 100 + i,
        daprGrpc: base + 120 + i,
        daprInternalGrpc: base + 140 + i,
        daprMetrics: base + 160 + i,
      },
    ]),
  ) as Record<DaprApp, AppPorts>;
  return {
    redis: base + 200,
    mongo: base + 201,
    temporal: base + 202,
    temporalUi: base + 203,
    azuriteBlob: base + 204,
    smtp: base + 205,
    mailWeb: base + 206,
    apps,
    // Replica k (2, 3, ...) of the gateway: its app at base+k-1, its sidecar at base+180+....
    extraGateways: Array.from({ length: Math.max(0, gatewayReplicas - 1) }, (_, i) => ({
      app: base + 1 + i,
      daprHttp: base + 180 + i,
      daprGrpc: base + 185 + i,
      daprInternalGrpc: base + 190 + i,
      daprMetrics: base + 195 + i,
    })),
  };
}

/** Every port a plan uses, infrastructure first. */
export function portsOf(plan: PortPlan): number[] {
  const infra = [
    plan.redis,
    plan.mongo,
    plan.temporal,
    plan.temporalUi,
    plan.azuriteBlob,
    plan.smtp,
    plan.mailWeb,
  ];
  const apps = [...Object.values(plan.apps), ...plan.extraGateways].flatMap((p) => Object.values(p));
  return [...infra, ...apps];
}

/**
 * Ports handed out for test stacks lie below the kernel's ephemeral range (32768 and up on Linux),
 * so an outgoing connection can never take a port a stack is about to listen on.
 */
const BLOCK_RANGE = { low: 10_000, high: 32_000 } as const;

/** True when nothing listens on the loopback port. */
export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * The first port of `count` consecutive free ports at a random place below the ephemeral range.
 * A contiguous block keeps the chance that two test processes pick overlapping ports at once small.
 */
export async function freePortBlock(count: number): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const start = BLOCK_RANGE.low + Math.floor(Math.random() * (BLOCK_RANGE.high - BLOCK_RANGE.low - count));
    const ports = Array.from({ length: count }, (_, i) => start + i);
    if ((await Promise.all(ports.map(portIsFree))).every(Boolean)) return start;
  }
  throw new Error(`no block of ${count} free ports found below ${BLOCK_RANGE.high}`);
}

/** One free port below the ephemeral range. */
export async function freePort(): Promise<number> {
  return freePortBlock(1);
}

/** Distinct free ports for every slot of the plan, for tests that run beside `npm start`. */
export async function freePortPlan(gatewayReplicas = 1): Promise<PortPlan> {
  const slots = 7 + 5 * (DAPR_APPS.length + gatewayReplicas - 1);
  let port = await freePortBlock(slots);
  const next = () => port++;
  const appPorts = (): AppPorts => ({
    app: next(),
    daprHttp: next(),
    daprGrpc: next(),
    daprInternalGrpc: next(),
    daprMetrics: next(),
  });
  const apps = {} as Record<DaprApp, AppPorts>;
  for (const app of DAPR_APPS) apps[app] = appPorts();
  const extraGateways = Array.from({ length: gatewayReplicas - 1 }, appPorts);
  return {
    redis: next(),
    mongo: next(),
    temporal: next(),
    temporalUi: next(),
    azuriteBlob: next(),
    smtp: next(),
    mailWeb: next(),
    apps,
    extraGateways,
  };
}
