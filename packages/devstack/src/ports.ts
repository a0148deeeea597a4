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

/** A port the kernel just gave out on loopback; free unless something takes it in between. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** Distinct free ports for every slot of the plan, for tests that run beside `npm start`. */
export async function freePortPlan(gatewayReplicas = 1): Promise<PortPlan> {
  const taken = new Set<number>();
  const next = async (): Promise<number> => {
    for (;;) {
      const port = await freePort();
      if (!taken.has(port)) {
        taken.add(port);
        return port;
      }
    }
  };
  const appPorts = async (): Promise<AppPorts> => ({
    app: await next(),
    daprHttp: await next(),
    daprGrpc: await next(),
    daprInternalGrpc: await next(),
    daprMetrics: await next(),
  });
  const apps = {} as Record<DaprApp, AppPorts>;
  for (const app of DAPR_APPS) apps[app] = await appPorts();
  const extraGateways: AppPorts[] = [];
  for (let i = 1; i < gatewayReplicas; i++) extraGateways.push(await appPorts());
  return {
    redis: await next(),
    mongo: await next(),
    temporal: await next(),
    temporalUi: await next(),
    azuriteBlob: await next(),
    smtp: await next(),
    mailWeb: await next(),
    apps,
    extraGateways,
  };
}
