import { z } from 'zod';

/** Raised at start-up when the environment does not satisfy a service's configuration schema. */
export class ConfigError extends Error {
  constructor(readonly issues: string[]) {
    super(`invalid configuration:\n  ${issues.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

const port = z.coerce.number().int().min(1).max(65535);

/**
 * Settings every service reads. Each default is what the launcher uses when it is not told
 * otherwise; an empty variable counts as unset.
 */
export const baseConfigSchema = z.object({
  /** Interface the HTTP server binds. Back-end services stay on loopback; only the gateway is exposed. */
  HOST: z.string().default('127.0.0.1'),
  /** Port of the service's HTTP server, the one its sidecar calls. */
  PORT: port,
  /** pino level. */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** The sidecar's HTTP API port on loopback. */
  DAPR_HTTP_PORT: port.default(3500),
  /** Token the sidecar requires on every call the app makes to it. */
  DAPR_API_TOKEN: z.string().min(16),
  /** Token the sidecar presents on every call it makes to the app; calls without it are refused. */
  APP_API_TOKEN: z.string().min(16),
  /** Name of the Dapr pub/sub component. */
  PUBSUB_NAME: z.string().default('pubsub'),
  /** Name of the Dapr state store component. */
  STATE_STORE_NAME: z.string().default('statestore'),
  /**
   * When set, a folder where the service keeps counts and times of its database commands
   * (`<database>.json`), for the benchmark's account of what a message costs. Unset: not recorded.
   */
  MONGO_COMMAND_STATS_DIR: z.string().optional(),
  /**
   * How long building and listening may take before the process gives up and exits non-zero: a
   * start-up waiting on something that never answers ends with a clear line, not in silence.
   */
  STARTUP_DEADLINE_MS: z.coerce.number().int().min(1).default(60_000),
});

export type BaseConfig = z.infer<typeof baseConfigSchema>;

/** A MongoDB connection string, for the services that keep data there. */
export const mongoUrlSchema = z
  .string()
  .regex(/^mongodb(\+srv)?:\/\//, 'must be a mongodb:// or mongodb+srv:// URL');

/**
 * Validates the environment against a schema once, at start-up, and freezes the result. Empty
 * strings are treated as unset so that `FOO=` and an absent `FOO` mean the same.
 */
export function loadConfig<S extends z.ZodType>(
  schema: S,
  env: NodeJS.ProcessEnv = process.env,
): Readonly<z.infer<S>> {
  const cleaned = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`),
    );
  }
  return Object.freeze(parsed.data);
}
