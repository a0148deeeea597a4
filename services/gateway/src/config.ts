import { baseConfigSchema } from '@parley/service-kit';
import { z } from 'zod';
import { trustedProxiesSchema } from './client-address';
import { rateLimitSettings } from './rate-limits/settings';
import { slowBodySettings } from './slow-bodies';

export const gatewayConfigSchema = baseConfigSchema.extend({
  /** The gateway is the one exposed process; bind 0.0.0.0 to reach it from other machines. */
  HOST: z.string().default('127.0.0.1'),
  /** Bearer token for the operator endpoints under /api/v1/ops. */
  OPS_TOKEN: z.string().min(16),
  /** Folder of the built web client; when missing, the gateway serves a page pointing at the API. */
  WEB_DIR: z.string().optional(),
  /**
   * Azure Storage connection string of the media service; only its blob endpoint is read here,
   * so the web client's Content-Security-Policy lets pages load media links from it.
   */
  AZURE_STORAGE_CONNECTION_STRING: z.string().optional(),
  /**
   * How long a revoked session's id is kept, in seconds (1 day): its access tokens are refused for
   * that long, so it must exceed the auth service's ACCESS_TOKEN_TTL.
   */
  REVOKED_SESSION_MEMORY: z.coerce
    .number()
    .int()
    .min(60)
    .default(24 * 60 * 60),
  /** Reverse proxies whose `X-Forwarded-For` names the client; see `client-address.ts`. */
  TRUSTED_PROXIES: trustedProxiesSchema,
  /** Redis shared by every replica: abuse limits, the Socket.IO adapter, presence and typing. */
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL'),
  /**
   * Comma-separated origins whose pages may open a socket (`https://chat.example.com`); no
   * default, so a socket from anywhere else is refused. The launcher allows the gateway's own.
   */
  ALLOWED_ORIGINS: z
    .string()
    .default('')
    .transform((list) =>
      list
        .split(',')
        .map((o) => o.trim())
        .filter(Boolean),
    ),
  /**
   * Events one socket may send per second, on average; more are answered RATE_LIMITED with how
   * long to wait. Sends, typing, receipts and presence queries all count.
   */
  SOCKET_EVENTS_PER_SECOND: z.coerce.number().positive().default(20),
  /** Events one socket may send at once after a quiet spell, before the rate applies. */
  SOCKET_EVENT_BURST: z.coerce.number().int().positive().default(60),
  /**
   * Sockets one user may hold open at once, over every replica (a tab or a device each); one more
   * is refused at the handshake with REALTIME_TOO_MANY_SOCKETS.
   */
  SOCKETS_PER_USER: z.coerce.number().int().positive().default(30),
  /**
   * Socket sends one replica holds waiting for chat at once; while chat cannot keep up, one more is
   * refused at once with REALTIME_SEND_QUEUE_FULL (and when to try again), never reaching chat.
   */
  SEND_QUEUE_LIMIT: z.coerce.number().int().positive().default(1_000),
  /**
   * The media service's largest upload, in bytes (default 100 MiB): a streamed upload declaring
   * more is refused here, before its body is forwarded. Set it wherever the media service's is.
   */
  MEDIA_MAX_UPLOAD_BYTES: z.coerce
    .number()
    .int()
    .min(1)
    .default(100 * 1024 * 1024),
  /** Abuse limits on login, registration, refresh and reset; see `rate-limits/settings.ts`. */
  ...rateLimitSettings,
  /** How fast request bodies must arrive; see `slow-bodies.ts`. */
  ...slowBodySettings,
});

export type GatewayConfig = z.infer<typeof gatewayConfigSchema>;
