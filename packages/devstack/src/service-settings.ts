import { DAPR_APPS, type DaprApp } from '@parley/contracts';

/** One setting of the services that `npm start` hands on from its own environment. */
export interface ServiceSetting {
  name: string;
  /** The processes whose configuration schema reads it; only they receive it. */
  readers: readonly DaprApp[];
  /** What it changes, as the README's table says it. */
  what: string;
  /** The schema's default, or what happens when it is unset. */
  fallback: string;
}

const EVERY_PROCESS = DAPR_APPS;

/**
 * Settings the services and the worker read that the launcher has no value of its own for. An
 * operator sets them in the launcher's environment (`RATE_LIMIT_LOGIN_PER_IP=5 npm start`); the
 * README's table lists the same, and a test checks this list against the services' schemas.
 */
export const SERVICE_SETTINGS: readonly ServiceSetting[] = [
  {
    name: 'STARTUP_DEADLINE_MS',
    readers: EVERY_PROCESS,
    what: 'milliseconds a process may take to build and listen before it gives up',
    fallback: '60000',
  },
  {
    name: 'MONGO_COMMAND_STATS_DIR',
    readers: EVERY_PROCESS,
    what: 'folder where each service records counts and times of its database commands',
    fallback: 'unset: not recorded',
  },
  setting('auth', 'BCRYPT_COST', 'bcrypt cost factor of password hashes', '12'),
  setting('auth', 'ACCESS_TOKEN_TTL', 'lifetime of an access token, in seconds', '900'),
  setting('auth', 'REFRESH_TOKEN_TTL', 'lifetime of an unused session, in seconds', '2592000'),
  setting('auth', 'SIGNING_KEY_ROTATION', 'seconds a token signing key signs before the next', '2592000'),
  setting('auth', 'SIGNING_KEY_PREPUBLISH', 'seconds the next signing key is published early', '3600'),
  setting('auth', 'EMAIL_VERIFICATION_TTL', 'lifetime of an email verification link, in seconds', '86400'),
  setting('auth', 'PASSWORD_RESET_TTL', 'lifetime of a password reset link, in seconds', '3600'),
  setting('auth', 'OIDC_ISSUER', 'OpenID Connect provider for third-party login', 'unset: no OIDC login'),
  setting('auth', 'OIDC_CLIENT_ID', "Parley's client id at that provider", 'unset'),
  setting('auth', 'OIDC_CLIENT_SECRET', "Parley's client secret at that provider", 'unset'),
  setting(
    'auth',
    'OIDC_REDIRECT_URI',
    'where the provider sends the browser back',
    "the web app's `/oidc/callback`",
  ),
  setting('auth', 'OIDC_SCOPES', 'scopes asked of the provider', '`openid email profile`'),
  setting('auth', 'OIDC_ALLOW_INSECURE', 'allow an `http://` issuer (tests only)', '`false`'),
  setting('gateway', 'WEB_DIR', 'folder of the built web client the gateway serves', '`web/dist`'),
  setting('gateway', 'REVOKED_SESSION_MEMORY', 'seconds a revoked session stays refused', '86400'),
  setting('gateway', 'SOCKET_EVENTS_PER_SECOND', 'events one socket may send per second', '20'),
  setting('gateway', 'SOCKET_EVENT_BURST', 'events one socket may send at once after a quiet spell', '60'),
  setting('gateway', 'SOCKETS_PER_USER', 'sockets one user may hold open at once', '30'),
  setting('gateway', 'SEND_QUEUE_LIMIT', 'socket sends one replica holds waiting for chat', '1000'),
  setting(
    'gateway',
    'TRUSTED_PROXIES',
    'reverse proxies whose `X-Forwarded-For` names the client',
    'unset: none trusted',
  ),
  setting(
    'gateway',
    'REQUEST_BODY_DEADLINE_MS',
    'milliseconds a request body other than an upload may take to arrive',
    '30000',
  ),
  setting(
    'gateway',
    'UPLOAD_PROGRESS_MIN_BYTES',
    'bytes an upload body must deliver in each window',
    '16384',
  ),
  setting(
    'gateway',
    'UPLOAD_PROGRESS_WINDOW_MS',
    'milliseconds of that window; a slower upload is cut',
    '30000',
  ),
  setting('gateway', 'RATE_LIMIT_LOGIN_PER_IP', 'login attempts from one IP address per 15 minutes', '300'),
  setting('gateway', 'RATE_LIMIT_REGISTER_PER_IP', 'registrations from one IP address per hour', '50'),
  setting(
    'gateway',
    'RATE_LIMIT_REFRESH_PER_IP',
    'token refreshes from one IP address per 15 minutes',
    '1000',
  ),
  setting('gateway', 'RATE_LIMIT_RESET_PER_IP', 'password reset requests from one IP address per hour', '30'),
  setting('gateway', 'RATE_LIMIT_RESET_PER_ACCOUNT', 'password reset requests for one email per hour', '5'),
  setting(
    'gateway',
    'RATE_LIMIT_FAILURES_PER_ACCOUNT',
    'failed logins in a row before an account locks',
    '5',
  ),
  setting(
    'gateway',
    'RATE_LIMIT_FAILURES_PER_IP',
    'failed logins from one IP address a day before it locks',
    '100',
  ),
  setting(
    'gateway',
    'RATE_LIMIT_LOCK_SECONDS',
    'first lock, in seconds; each further failure doubles it',
    '30',
  ),
  setting('gateway', 'RATE_LIMIT_LOCK_MAX_SECONDS', 'longest lock, in seconds', '3600'),
  setting('gateway', 'RATE_LIMIT_SEND_BURST', 'messages one user may send or edit per 10 seconds', '30'),
  setting('gateway', 'RATE_LIMIT_SENDS_PER_MINUTE', 'messages one user may send or edit per minute', '120'),
  setting(
    'chat',
    'CHAT_MEMBERSHIP_CACHE_MS',
    'how long an instance remembers a membership (0: never)',
    '600000',
  ),
  {
    name: 'MEDIA_CONTAINER',
    readers: ['media', 'worker'],
    what: 'private blob container of the media',
    fallback: '`media`',
  },
  {
    name: 'MEDIA_MAX_UPLOAD_BYTES',
    // The gateway refuses a streamed upload declaring more before forwarding any of it.
    readers: ['gateway', 'media'],
    what: 'largest single upload, in bytes',
    fallback: '104857600 (100 MiB)',
  },
  setting('media', 'MEDIA_QUOTA_BYTES', 'bytes one user may keep stored', '1073741824 (1 GiB)'),
  setting('media', 'MEDIA_UPLOADS_PER_HOUR', 'uploads one user may start per hour', '120'),
  setting('media', 'MEDIA_LINK_SECONDS', 'lifetime of a download or preview link, in seconds', '300'),
  setting(
    'media',
    'MEDIA_UPLOAD_LINK_SECONDS',
    "lifetime of a direct upload's write link, in seconds",
    '900',
  ),
  setting('media', 'MEDIA_SWEEP_SECONDS', 'seconds between sweeps for unfinished and unused media', '60'),
  setting(
    'notification',
    'INVITE_EXPIRES_AFTER_SECONDS',
    'seconds before an unanswered invite lapses',
    '604800',
  ),
  setting(
    'notification',
    'INVITE_REMIND_AFTER_SECONDS',
    'seconds before an unanswered invite is resent',
    '172800',
  ),
  setting(
    'notification',
    'INVITE_APPROVAL_WINDOW_SECONDS',
    "seconds an acceptance awaits an admin's approval",
    '1209600',
  ),
  setting('notification', 'INVITE_MAX_OPEN_PER_GROUP', 'open invites one group may hold', '200'),
  {
    name: 'PUSH_ALLOW_LOOPBACK_HTTP',
    // The service accepts such endpoints; the worker posts to them.
    readers: ['notification', 'worker'],
    what: 'accept and post to `http://127.0.0.1` push endpoints (tests only)',
    fallback: '`false`',
  },
  setting('worker', 'EMAIL_FROM', 'From header of every email', '`Parley <no-reply@parley.localhost>`'),
  setting(
    'worker',
    'VAPID_SUBJECT',
    'how push services may reach the operator',
    '`mailto:operators@parley.localhost`',
  ),
  setting('worker', 'MEDIA_MAX_IMAGE_PIXELS', 'largest image decoded, in pixels over all frames', '40000000'),
  setting(
    'worker',
    'TWILIO_API_BASE_URL',
    "origin of Twilio's API (tests: a stand-in server)",
    'unset: Twilio itself',
  ),
];

function setting(reader: DaprApp, name: string, what: string, fallback: string): ServiceSetting {
  return { name, readers: [reader], what, fallback };
}

/**
 * Settings the services read that the launcher decides itself, with why. A value of one of these
 * in its environment never reaches a service; the launcher says so at start.
 */
export const LAUNCHER_SETTINGS: Readonly<Record<string, string>> = {
  HOST: "services bind loopback; GATEWAY_HOST sets the gateway's interface",
  PORT: 'the port plan assigns it (PARLEY_PORT_BASE)',
  DAPR_HTTP_PORT: 'the port plan assigns it (PARLEY_PORT_BASE)',
  DAPR_API_TOKEN: 'a secret of the run, in secrets.json',
  APP_API_TOKEN: 'a secret of the run, in secrets.json',
  OPS_TOKEN: 'a secret of the run, in secrets.json',
  SIGNING_KEY_ENCRYPTION_KEY: 'a secret of the run, in secrets.json',
  SIGNING_KEY_ENCRYPTION_PREVIOUS_KEYS: 'the launcher never replaces the key in secrets.json',
  INVITE_LINK_SECRET: 'a secret of the run, in secrets.json',
  NOTIFICATION_LINK_SECRET: 'a secret of the run, in secrets.json',
  VAPID_PUBLIC_KEY: 'a key pair of the run, in secrets.json',
  VAPID_PRIVATE_KEY: 'a key pair of the run, in secrets.json',
  ALLOWED_ORIGINS: "the gateways' own addresses on the port plan, and PUBLIC_URL's origin",
  PUBSUB_NAME: 'the components in components/ name it',
  STATE_STORE_NAME: 'the components in components/ name it',
};

/**
 * Settings the services read that the launcher reads too, and hands on in its own way: its log
 * level, the address users reach the platform at (also an allowed origin of sockets), and the
 * external servers that replace embedded parts (see `externalPartsFromEnv`).
 */
export const LAUNCHER_READS: readonly string[] = [
  'LOG_LEVEL',
  'PUBLIC_URL',
  'REDIS_URL',
  'MONGODB_URL',
  'TEMPORAL_ADDRESS',
  'TEMPORAL_NAMESPACE',
  'AZURE_STORAGE_CONNECTION_STRING',
  'SMTP_URL',
  'TYPESENSE_URL',
  'TYPESENSE_API_KEY',
  'TWILIO_ACCOUNT_SID',
  'TWILIO_AUTH_TOKEN',
  'TWILIO_FROM',
];

/** The service settings `env` sets; an empty value counts as unset. */
export function settingsSetIn(env: NodeJS.ProcessEnv): ServiceSetting[] {
  return SERVICE_SETTINGS.filter(({ name }) => env[name] !== undefined && env[name] !== '');
}

/** Per process, the service settings `env` sets for it. */
export function serviceSettingsFromEnv(
  env: NodeJS.ProcessEnv,
): Partial<Record<DaprApp, Record<string, string>>> {
  const byApp: Partial<Record<DaprApp, Record<string, string>>> = {};
  for (const { name, readers } of settingsSetIn(env)) {
    for (const app of readers) byApp[app] = { ...byApp[app], [name]: String(env[name]) };
  }
  return byApp;
}

/** The launcher's own settings that `env` sets in vain, each with why the launcher keeps its value. */
export function ignoredSettings(env: NodeJS.ProcessEnv): { name: string; why: string }[] {
  return Object.entries(LAUNCHER_SETTINGS)
    .filter(([name]) => env[name] !== undefined && env[name] !== '')
    .map(([name, why]) => ({ name, why }));
}

/** A setting of the launcher's environment it cannot use; the message says which and why. */
export class SettingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SettingError';
  }
}

/**
 * `PUBLIC_URL` from the launcher's environment: the address users open, as an origin (scheme, host
 * and port), or undefined when unset. Anything but an http(s) URL with no credentials, path, query
 * or fragment is refused, naming the variable.
 */
export function publicUrlFromEnv(env: NodeJS.ProcessEnv): string | undefined {
  const value = env.PUBLIC_URL;
  if (value === undefined || value === '') return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new SettingError(`PUBLIC_URL must be a URL such as http://chat.example.lan:4400, not ${value}`);
  }
  const extra = url.pathname !== '/' || url.search || url.hash || url.username || url.password;
  if (!['http:', 'https:'].includes(url.protocol) || extra) {
    throw new SettingError(
      `PUBLIC_URL must be an http or https origin, with no credentials, path, query or fragment, not ${value}`,
    );
  }
  return url.origin;
}
