import type { TokenVerifier } from '@parley/identity';
import { DependencyError, type Logger, type ReadinessCheck, type Sidecar } from '@parley/service-kit';
import type { Express } from 'express';
import { Redis } from 'ioredis';
import type { GatewayConfig } from '../config';
import { sidecarChatClient } from './chat-client';
import { reportOutages } from '../redis-outages';
import { RevokedSessions } from './revoked-sessions';
import { Realtime } from './server';
import { mountRealtimeSubscriptions } from './subscriptions';

/** How long a request waits for auth to say whether its session is open, while Redis is away. */
const SESSION_CHECK_TIMEOUT_MS = 3_000;

export interface StartedRealtime {
  realtime: Realtime;
  revokedSessions: RevokedSessions;
  check: ReadinessCheck;
  close: () => Promise<void>;
}

/** Connects Redis, builds the Socket.IO server and mounts the chat event subscriptions. */
export async function startRealtime(context: {
  config: GatewayConfig;
  app: Express;
  sidecar: Sidecar;
  verifier: TokenVerifier;
  logger: Logger;
}): Promise<StartedRealtime> {
  const { config, app, sidecar, verifier, logger } = context;
  const redis = new Redis(config.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 3 });
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    redis.disconnect();
    throw new DependencyError('redis', 'cannot reach Redis for real-time', { cause: err });
  }
  reportOutages(redis, logger, 'real-time connection to Redis failed; retrying');
  const revokedSessions = new RevokedSessions(
    redis,
    config.REVOKED_SESSION_MEMORY,
    async (sessionId) => {
      const status = await sidecar.invokeOk<{ active: boolean }>(
        'auth',
        `internal/v1/sessions/${encodeURIComponent(sessionId)}/status`,
        { signal: AbortSignal.timeout(SESSION_CHECK_TIMEOUT_MS) },
      );
      return status.active === true;
    },
    logger.child({ component: 'revoked-sessions' }),
  );
  const realtime = new Realtime({
    allowedOrigins: config.ALLOWED_ORIGINS,
    verifier,
    chat: sidecarChatClient(sidecar, { maxQueued: config.SEND_QUEUE_LIMIT }),
    redis,
    revokedSessions,
    eventBudget: { perSecond: config.SOCKET_EVENTS_PER_SECOND, burst: config.SOCKET_EVENT_BURST },
    sendBudget: { burst: config.RATE_LIMIT_SEND_BURST, perMinute: config.RATE_LIMIT_SENDS_PER_MINUTE },
    socketsPerUser: config.SOCKETS_PER_USER,
    logger: logger.child({ component: 'realtime' }),
  });
  mountRealtimeSubscriptions(app, realtime, redis, revokedSessions);
  return {
    realtime,
    revokedSessions,
    check: {
      name: 'redis',
      check: async () => {
        await redis.ping();
      },
    },
    close: async () => {
      await realtime.close();
      redis.disconnect();
    },
  };
}
