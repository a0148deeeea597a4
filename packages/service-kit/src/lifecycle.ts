import type { Server } from 'node:http';
import type { Express } from 'express';
import type { z } from 'zod';
import { type BaseConfig, loadConfig } from './config';
import { Sidecar } from './dapr';
import { type ReadinessCheck, mountHealth } from './health';
import { createHttpApp, finishHttpApp } from './http';
import { type Logger, createLogger } from './logger';
import { setMetricsService } from './metrics';
import { answerClientErrors } from './problem';

export interface ServiceContext<C extends BaseConfig> {
  config: Readonly<C>;
  logger: Logger;
  sidecar: Sidecar;
  app: Express;
  /**
   * Tells the start-up deadline that a long build is still making progress (loading an index,
   * say): its count starts again.
   */
  stillStarting: () => void;
}

export interface BuiltService {
  /** Dependencies to check for readiness, beside the sidecar. */
  checks?: ReadinessCheck[];
  /** Releases what `build` opened, after the server stopped taking requests. */
  close?: () => Promise<void>;
  /** Called once the HTTP server listens: for what shares it, such as a WebSocket server. */
  onListening?: (server: Server) => void | Promise<void>;
  /**
   * Called first on shutdown, before the server stops taking requests: ends long-lived
   * connections (WebSockets) that would otherwise keep the server from closing.
   */
  drain?: () => Promise<void>;
}

export interface ServiceDefinition<S extends z.ZodType<BaseConfig>> {
  /** The Dapr app id. */
  name: string;
  configSchema: S;
  /** Topics the sidecar must have subscribed before the service reports ready. */
  topics?: readonly string[];
  /** For a public app (the gateway): the only path prefixes that require the app token. */
  tokenOnlyUnder?: readonly string[];
  bodyLimit?: string;
  streamBody?: (path: string) => boolean;
  build(context: ServiceContext<z.infer<S>>): Promise<BuiltService>;
}

const SHUTDOWN_GRACE_MS = 10_000;

/**
 * Starts a service: validates configuration, builds dependencies, listens, and on SIGTERM or SIGINT
 * stops taking requests, finishes those in flight and closes what it opened. Any failure to start
 * exits the process non-zero; a service never runs half-started.
 */
export async function runService<S extends z.ZodType<BaseConfig>>(
  definition: ServiceDefinition<S>,
): Promise<void> {
  let logger = createLogger(definition.name);
  try {
    const config = loadConfig(definition.configSchema);
    setMetricsService(definition.name);
    logger = createLogger(definition.name, config.LOG_LEVEL);
    const sidecar = new Sidecar({
      httpPort: config.DAPR_HTTP_PORT,
      apiToken: config.DAPR_API_TOKEN,
      pubsubName: config.PUBSUB_NAME,
      stateStoreName: config.STATE_STORE_NAME,
      logger,
    });
    const app = createHttpApp({
      logger,
      appApiToken: config.APP_API_TOKEN,
      tokenOnlyUnder: definition.tokenOnlyUnder,
      bodyLimit: definition.bodyLimit,
      streamBody: definition.streamBody,
    });
    let draining = false;
    let checks: ReadinessCheck[] = [];
    mountHealth(
      app,
      () => checks,
      () => draining,
    );
    let stage = 'building';
    // A start-up waiting on something that never answers (a database command has no socket
    // timeout) ends with a clear line instead of a silent, half-started process.
    const giveUp = () => {
      logger.fatal({ stage, deadlineMs: config.STARTUP_DEADLINE_MS }, 'start-up did not finish in time');
      process.exit(1);
    };
    let deadline: NodeJS.Timeout | undefined = setTimeout(giveUp, config.STARTUP_DEADLINE_MS);
    const stillStarting = () => {
      // Once the service listens there is nothing left to time (a later reload calls this too).
      if (deadline === undefined) return;
      clearTimeout(deadline);
      deadline = setTimeout(giveUp, config.STARTUP_DEADLINE_MS);
    };
    const built = await definition.build({ config, logger, sidecar, app, stillStarting });
    stage = 'listening';
    finishHttpApp(app);
    const topics = definition.topics ?? [];
    checks = [{ name: 'sidecar', check: () => sidecar.checkReady(topics) }, ...(built.checks ?? [])];

    const server = await listen(app, config.PORT, config.HOST);
    await built.onListening?.(server);
    clearTimeout(deadline);
    deadline = undefined;
    logger.info({ host: config.HOST, port: config.PORT }, 'listening');

    const shutdown = async (signal: string) => {
      if (draining) return;
      draining = true;
      logger.info({ signal }, 'shutting down');
      const force = setTimeout(() => {
        logger.error('shutdown took too long, exiting');
        process.exit(1);
      }, SHUTDOWN_GRACE_MS);
      force.unref();
      await built.drain?.().catch((err: unknown) => logger.error({ err }, 'draining failed'));
      server.closeIdleConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await built.close?.().catch((err: unknown) => logger.error({ err }, 'closing dependencies failed'));
      await sidecar.close();
      logger.info('stopped');
      process.exit(0);
    };
    process.once('SIGTERM', (signal) => void shutdown(signal));
    process.once('SIGINT', (signal) => void shutdown(signal));
  } catch (err) {
    logger.fatal({ err }, 'failed to start');
    process.exit(1);
  }
}

/**
 * How long an idle connection stays open: longer than the sidecars keep theirs idle (90 s, Go's
 * default). Node's own 5 s let a sidecar send a request on a connection the service was closing
 * that very moment; a POST with a body is not retried on a fresh one, so the caller got a 503.
 */
export const KEEP_ALIVE_MS = 120_000;

/**
 * Longest a request may take from its first byte to its end: above the sidecars' 15 minutes for an
 * upload streamed on a slow link, which Node's default of 5 minutes cut short.
 */
export const REQUEST_TIMEOUT_MS = 16 * 60_000;

/** Sets a server's connection timeouts as described above. */
export function tuneTimeouts(server: Server): void {
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  // Node's headers timeout (60 s) stays: it runs from a request's first byte, not while a
  // connection is idle, and bounds a client that trickles its headers.
  server.requestTimeout = REQUEST_TIMEOUT_MS;
}

function listen(app: Express, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host);
    tuneTimeouts(server);
    answerClientErrors(server);
    server.once('listening', () => resolve(server));
    server.once('error', reject);
  });
}
