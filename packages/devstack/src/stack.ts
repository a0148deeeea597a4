import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BACKEND_SERVICES, type DaprApp } from '@parley/contracts';
import { httpStatus, redisPing, run, tcpOpen } from './checks';
import { type ExternalParts, azuriteConnectionString } from './external';
import { componentsDir, daprConfigFile, nodeBin, repoRoot, toolBin } from './paths';
import type { AppPorts, PortPlan } from './ports';
import { type LogSink, ManagedProcess, type ProcessSpec, StartError, signalGroup } from './process';
import { type StackSecrets, loadOrCreateSecrets } from './secrets';

export interface StackOptions {
  /** Everything the stack stores lives here; a second start with the same folder keeps the data. */
  dataDir: string;
  ports: PortPlan;
  external?: ExternalParts;
  sink: LogSink;
  /** pino level of the services and the worker. */
  logLevel?: string;
  /** Log level of the sidecars. */
  daprLogLevel?: string;
  /** Interface the gateway binds; the back-end services always bind loopback. */
  gatewayHost?: string;
  /**
   * Where users reach the gateway, when not at its own address on the port plan (a host name on
   * the network, a proxy in front): the start of links in emails and of OIDC redirects, and an
   * origin whose pages may open sockets. Only its origin counts.
   */
  publicUrl?: string;
  /** Extra environment for every service and the worker (tests: an OIDC issuer, short expiries). */
  env?: Record<string, string>;
  /**
   * Settings for one app's processes only (the launcher: the operator's, see `service-settings.ts`).
   * Every value the stack sets itself, and `env`, win over these.
   */
  appSettings?: Partial<Record<DaprApp, Record<string, string>>>;
  /** How long any one process may take to become healthy. */
  startTimeoutMs?: number;
  /**
   * Starts a process again when it exits on its own after start-up, waiting a little longer after
   * each exit in a row (the launcher; tests stop and start processes themselves).
   */
  restartCrashed?: boolean;
}

/** Waits before restarting a crashed process: doubling from the first, up to the last. */
const RESTART_FIRST_WAIT_MS = 1_000;
const RESTART_MAX_WAIT_MS = 30_000;
/** A process that ran this long before exiting is restarted after the first wait again. */
const RESTART_STABLE_MS = 60_000;

/** Where a user finds each part once the stack is up. */
export interface StackUrls {
  web: string;
  api: string;
  apiReference: string;
  temporalUi?: string;
  mailInbox?: string;
  sidecarMetadata: Record<DaprApp, string>;
}

interface Part {
  spec: ProcessSpec;
  ready: () => Promise<boolean>;
  readyWhat: string;
}

const DEFAULT_TIMEOUT_MS = 120_000;

/**
 * The whole platform on one machine: infrastructure first (Redis, FerretDB, the Temporal dev
 * server, Azurite, a mail catcher), skipping any part given as an external URL; then each service
 * beside its own daprd; then the Temporal worker. Each waits for what it needs to be healthy.
 */
export class Stack {
  readonly secrets: StackSecrets;
  private readonly processes = new Map<string, ManagedProcess>();
  private readonly external: ExternalParts;
  private readonly parts = new Map<string, Part>();
  /** Per process: the wait before its next restart, and when it last started. */
  private readonly restarts = new Map<string, { waitMs: number; startedAt: number }>();
  private stopping = false;
  /** Processes that became healthy at least once: only those are restarted when they exit. */
  private readonly cameUp = new Set<string>();

  constructor(private readonly options: StackOptions) {
    this.external = options.external ?? {};
    for (const dir of ['redis', 'ferretdb', 'temporal', 'azurite', 'mail', 'dapr']) {
      mkdirSync(join(options.dataDir, dir), { recursive: true });
    }
    this.secrets = loadOrCreateSecrets(options.dataDir);
  }

  get ports(): PortPlan {
    return this.options.ports;
  }

  /** Starts everything; on any failure stops what it started and rethrows with the culprit's last lines. */
  async start(): Promise<void> {
    this.stopping = false;
    await killLeftovers(this.options.dataDir);
    try {
      await this.startGroup(this.infrastructure());
      await this.startGroup(this.applications());
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  /** Stops every process, applications before the infrastructure they use. */
  async stop(): Promise<void> {
    this.stopping = true;
    const running = [...this.processes.values()].reverse();
    const apps = running.filter((p) => !INFRA.has(p.spec.name));
    await Promise.all(apps.map((p) => p.stop()));
    await Promise.all(running.filter((p) => INFRA.has(p.spec.name)).map((p) => p.stop()));
    this.processes.clear();
    writeFileSync(join(this.options.dataDir, 'pids.json'), '[]\n');
  }

  /**
   * Stops the named processes and starts them again together with the same specifications,
   * waiting until all are healthy (an app and its sidecar need each other to be ready).
   */
  async restart(...names: string[]): Promise<void> {
    const parts = names.map((name) => {
      const part = this.parts.get(name);
      if (!part) throw new Error(`no process named ${name}`);
      return part;
    });
    await Promise.all(names.map((name) => this.processes.get(name)?.stop()));
    await this.startGroup(parts);
  }

  /**
   * Kills every process group at once, synchronously: for an exit or a signal handler, where
   * there is no time to stop them gracefully.
   */
  killAllNow(): void {
    for (const proc of this.processes.values())
      if (proc.pid && !proc.hasExited) signalGroup(proc.pid, 'SIGKILL');
  }

  /** Names of the processes this stack runs, in start order. */
  processNames(): string[] {
    return [...this.processes.keys()];
  }

  /** Stops one process without starting it again (for fault tests). */
  async kill(name: string): Promise<void> {
    await this.processes.get(name)?.stop(0);
  }

  /** Kills one process with SIGKILL, as a crash would: it cleans up nothing (for fault tests). */
  async crash(name: string): Promise<void> {
    await this.processes.get(name)?.crash();
  }

  urls(): StackUrls {
    const { ports } = this.options;
    const host = this.options.gatewayHost === '0.0.0.0' ? 'localhost' : '127.0.0.1';
    const gateway = `http://${host}:${ports.apps.gateway.app}`;
    const sidecarMetadata = Object.fromEntries(
      Object.entries(ports.apps).map(([app, p]) => [app, `http://127.0.0.1:${p.daprHttp}/v1.0/metadata`]),
    ) as Record<DaprApp, string>;
    return {
      web: `${gateway}/`,
      api: `${gateway}/api/v1`,
      apiReference: `${gateway}/api/reference`,
      temporalUi: this.external.temporalAddress
        ? this.external.temporalUiUrl
        : `http://127.0.0.1:${ports.temporalUi}`,
      mailInbox: this.external.smtpUrl ? this.external.mailWebUrl : `http://127.0.0.1:${ports.mailWeb}`,
      sidecarMetadata,
    };
  }

  /** Environment every service and the worker get, external URLs winning over embedded parts. */
  serviceEnvironment(): Record<string, string> {
    const { ports } = this.options;
    const env: Record<string, string> = {
      REDIS_URL: this.external.redisUrl ?? `redis://127.0.0.1:${ports.redis}`,
      MONGODB_URL: this.external.mongodbUrl ?? `mongodb://127.0.0.1:${ports.mongo}/`,
      TEMPORAL_ADDRESS: this.external.temporalAddress ?? `127.0.0.1:${ports.temporal}`,
      TEMPORAL_NAMESPACE: this.external.temporalNamespace ?? 'default',
      AZURE_STORAGE_CONNECTION_STRING:
        this.external.azureStorageConnectionString ?? azuriteConnectionString(ports.azuriteBlob),
      SMTP_URL: this.external.smtpUrl ?? `smtp://127.0.0.1:${ports.smtp}`,
      LOG_LEVEL: this.options.logLevel ?? 'info',
      OPS_TOKEN: this.secrets.opsToken,
      // Where users reach the platform: links in emails and OIDC redirects start here.
      PUBLIC_URL: this.publicOrigin(),
    };
    const optional: [string, string | undefined][] = [
      ['TYPESENSE_URL', this.external.typesenseUrl],
      ['TYPESENSE_API_KEY', this.external.typesenseApiKey],
      ['TWILIO_ACCOUNT_SID', this.external.twilioAccountSid],
      ['TWILIO_AUTH_TOKEN', this.external.twilioAuthToken],
      ['TWILIO_FROM', this.external.twilioFrom],
    ];
    for (const [name, value] of optional) if (value) env[name] = value;
    // Pages served by any gateway replica may open a socket to any of them.
    const origins = [ports.apps.gateway, ...ports.extraGateways].flatMap(({ app }) => [
      `http://127.0.0.1:${app}`,
      `http://localhost:${app}`,
    ]);
    if (!origins.includes(env.PUBLIC_URL!)) origins.push(env.PUBLIC_URL!);
    env.ALLOWED_ORIGINS = origins.join(',');
    return { ...env, ...this.options.env };
  }

  /** The origin users reach the platform at: `publicUrl`'s, else the gateway's own. */
  private publicOrigin(): string {
    return new URL(this.options.publicUrl ?? this.urls().web).origin;
  }

  /** Environment of one app's processes, before their ports and tokens: its own settings beneath the stack's. */
  appEnvironment(app: DaprApp): Record<string, string> {
    return { ...this.options.appSettings?.[app], ...this.serviceEnvironment() };
  }

  private async startGroup(parts: Part[]): Promise<void> {
    for (const part of parts) {
      this.parts.set(part.spec.name, part);
      const proc = new ManagedProcess(part.spec, this.options.sink, (name, code, signal) =>
        this.exitedOnItsOwn(name, code, signal),
      );
      this.processes.set(part.spec.name, proc);
      this.restarts.set(part.spec.name, {
        waitMs: this.restarts.get(part.spec.name)?.waitMs ?? RESTART_FIRST_WAIT_MS,
        startedAt: Date.now(),
      });
      proc.start();
    }
    recordPids(this.options.dataDir, this.processes);
    const timeout = this.options.startTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    await Promise.all(
      parts.map((part) => this.processes.get(part.spec.name)!.waitUntil(part.ready, part.readyWhat, timeout)),
    );
    for (const part of parts) this.cameUp.add(part.spec.name);
  }

  /** A process exited without being asked to: say how, and start it again if the stack does that. */
  private exitedOnItsOwn(name: string, code: number | null, signal: NodeJS.Signals | null): void {
    const how = signal ? `signal ${signal}` : `code ${code}`;
    if (!this.options.restartCrashed || this.stopping || !this.cameUp.has(name)) {
      this.options.sink(name, `!! exited unexpectedly (${how})`);
      return;
    }
    const state = this.restarts.get(name) ?? { waitMs: RESTART_FIRST_WAIT_MS, startedAt: 0 };
    const waitMs = Date.now() - state.startedAt >= RESTART_STABLE_MS ? RESTART_FIRST_WAIT_MS : state.waitMs;
    this.restarts.set(name, { ...state, waitMs: Math.min(waitMs * 2, RESTART_MAX_WAIT_MS) });
    this.options.sink(name, `!! exited unexpectedly (${how}); restarting in ${waitMs / 1000}s`);
    setTimeout(() => {
      if (this.stopping) return;
      this.restart(name).then(
        () => this.options.sink(name, 'restarted and healthy again'),
        (err: unknown) => {
          // An exit during the restart is reported by itself and schedules the next try; a process
          // that runs but never becomes healthy is left to the operator.
          if (this.processes.get(name)?.hasExited && err instanceof StartError) return;
          this.options.sink(
            name,
            `!! restarted but not healthy: ${err instanceof Error ? err.message : String(err)}`,
          );
        },
      );
    }, waitMs).unref();
  }

  private infrastructure(): Part[] {
    const { dataDir, ports } = this.options;
    const parts: Part[] = [];
    if (!this.external.redisUrl) {
      parts.push({
        spec: {
          name: 'redis',
          command: 'redis-server',
          args: [
            '--bind',
            '127.0.0.1',
            '--port',
            String(ports.redis),
            '--dir',
            join(dataDir, 'redis'),
            // Every write reaches the append-only file before its reply, so a killed or restarted
            // Redis keeps all it acknowledged; the file is flushed to disk each second, not on every
            // write (an fsync per write capped the whole platform at tens of messages a second).
            '--appendonly',
            'yes',
            '--appendfsync',
            'everysec',
            '--save',
            '',
            '--protected-mode',
            'yes',
            '--daemonize',
            'no',
            '--logfile',
            '',
          ],
        },
        ready: () => redisPing(ports.redis),
        readyWhat: 'answering PING',
      });
    }
    if (!this.external.mongodbUrl) {
      parts.push({
        spec: {
          name: 'ferretdb',
          command: toolBin('ferretdb'),
          args: [
            `--listen-addr=127.0.0.1:${ports.mongo}`,
            // Write-ahead log (FerretDB's default) with commits not flushed one by one: a commit is
            // in the log before it is answered, so it survives the process; a machine crash may
            // lose the last ones.
            `--sqlite-url=file:${join(dataDir, 'ferretdb')}/?_pragma=synchronous(normal)`,
            '--log-level=warn',
          ],
        },
        ready: () => tcpOpen(ports.mongo),
        readyWhat: 'accepting connections',
      });
    }
    if (!this.external.temporalAddress) {
      parts.push({
        spec: {
          name: 'temporal',
          command: toolBin('temporal'),
          args: [
            'server',
            'start-dev',
            '--ip',
            '127.0.0.1',
            '--port',
            String(ports.temporal),
            '--ui-port',
            String(ports.temporalUi),
            '--db-filename',
            join(dataDir, 'temporal', 'temporal.db'),
            '--namespace',
            'default',
            '--log-level',
            'error',
          ],
        },
        ready: async () =>
          (
            await run(toolBin('temporal'), [
              'operator',
              'cluster',
              'health',
              '--address',
              `127.0.0.1:${ports.temporal}`,
            ])
          ).code === 0 && (await httpStatus(`http://127.0.0.1:${ports.temporalUi}/`)),
        readyWhat: 'serving',
      });
    }
    if (!this.external.azureStorageConnectionString) {
      parts.push({
        spec: {
          name: 'azurite',
          command: nodeBin('azurite-blob'),
          args: [
            '--blobHost',
            '127.0.0.1',
            '--blobPort',
            String(ports.azuriteBlob),
            '--location',
            join(dataDir, 'azurite'),
            '--skipApiVersionCheck',
            '--disableTelemetry',
            '--silent',
          ],
        },
        ready: () => tcpOpen(ports.azuriteBlob),
        readyWhat: 'accepting connections',
      });
    }
    if (!this.external.smtpUrl) {
      parts.push({
        spec: {
          name: 'mail',
          command: nodeBin('maildev'),
          args: [
            '--ip',
            '127.0.0.1',
            '--smtp',
            String(ports.smtp),
            '--web-ip',
            '127.0.0.1',
            '--web',
            String(ports.mailWeb),
            '--mail-directory',
            join(dataDir, 'mail'),
          ],
        },
        ready: async () =>
          (await tcpOpen(ports.smtp)) && (await httpStatus(`http://127.0.0.1:${ports.mailWeb}/`)),
        readyWhat: 'accepting mail',
      });
    }
    return parts;
  }

  private applications(): Part[] {
    const parts: Part[] = [];
    const apps: DaprApp[] = ['gateway', ...BACKEND_SERVICES];
    for (const app of apps) {
      const entry = app === 'gateway' ? 'services/gateway/dist/main.js' : `services/${app}/dist/main.js`;
      parts.push(this.appPart(app, entry), this.sidecarPart(app, true));
    }
    this.options.ports.extraGateways.forEach((ports, i) => {
      const replica = { name: `gateway-${i + 2}`, ports };
      parts.push(
        this.appPart('gateway', 'services/gateway/dist/main.js', replica),
        this.sidecarPart('gateway', true, replica),
      );
    });
    parts.push(this.appPart('worker', 'workflows/dist/worker.js'), this.sidecarPart('worker', false));
    return parts;
  }

  private appPart(app: DaprApp, entry: string, replica?: Replica): Part {
    const ports = replica?.ports ?? this.options.ports.apps[app];
    const name = replica?.name ?? app;
    const secrets = this.secrets.apps[app];
    const host = app === 'gateway' ? (this.options.gatewayHost ?? '127.0.0.1') : '127.0.0.1';
    return {
      spec: {
        name,
        command: process.execPath,
        args: ['--enable-source-maps', join(repoRoot, entry)],
        cwd: repoRoot,
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          NODE_ENV: process.env.NODE_ENV ?? 'development',
          ...this.appEnvironment(app),
          HOST: host,
          PORT: String(ports.app),
          DAPR_HTTP_PORT: String(ports.daprHttp),
          DAPR_GRPC_PORT: String(ports.daprGrpc),
          DAPR_API_TOKEN: secrets.daprApiToken,
          APP_API_TOKEN: secrets.appApiToken,
          ...this.appSecrets(app),
        },
      },
      ready: () => httpStatus(`http://127.0.0.1:${ports.app}/readyz`),
      readyWhat: 'ready',
    };
  }

  /** Secrets only one app may hold. */
  private appSecrets(app: DaprApp): Record<string, string> {
    if (app === 'auth') return { SIGNING_KEY_ENCRYPTION_KEY: this.secrets.signingKeyEncryptionKey };
    if (app === 'notification')
      return {
        INVITE_LINK_SECRET: this.secrets.inviteLinkSecret,
        NOTIFICATION_LINK_SECRET: this.secrets.notificationLinkSecret,
        VAPID_PUBLIC_KEY: this.secrets.vapid.publicKey,
      };
    if (app === 'worker')
      return {
        VAPID_PUBLIC_KEY: this.secrets.vapid.publicKey,
        VAPID_PRIVATE_KEY: this.secrets.vapid.privateKey,
      };
    return {};
  }

  private sidecarPart(app: DaprApp, hasAppChannel: boolean, replica?: Replica): Part {
    const ports = replica?.ports ?? this.options.ports.apps[app];
    const name = `${replica?.name ?? app}-dapr`;
    const secrets = this.secrets.apps[app];
    const redis = parseRedisUrl(this.external.redisUrl ?? `redis://127.0.0.1:${this.options.ports.redis}`);
    const args = [
      '--app-id',
      app,
      '--mode',
      'standalone',
      '--dapr-http-port',
      String(ports.daprHttp),
      '--dapr-grpc-port',
      String(ports.daprGrpc),
      '--dapr-internal-grpc-port',
      String(ports.daprInternalGrpc),
      '--metrics-port',
      String(ports.daprMetrics),
      '--dapr-listen-addresses',
      '127.0.0.1',
      '--dapr-internal-grpc-listen-address',
      '127.0.0.1',
      '--metrics-listen-address',
      '127.0.0.1',
      '--resources-path',
      componentsDir,
      '--config',
      daprConfigFile,
      '--placement-host-address',
      '',
      '--scheduler-host-address',
      '',
      '--dapr-graceful-shutdown-seconds',
      '5',
      '--log-level',
      this.options.daprLogLevel ?? 'error',
    ];
    // Uploads stream through the gateway's and the media service's sidecars, which otherwise stop
    // any body at 4 MiB. The media service enforces its own, lower limit (see sidecarBodyLimit).
    if (app === 'gateway' || app === 'media') {
      args.push('--max-body-size', sidecarBodyLimit(this.appEnvironment('media').MEDIA_MAX_UPLOAD_BYTES));
    }
    if (hasAppChannel) {
      args.push(
        '--app-port',
        String(ports.app),
        '--app-protocol',
        'http',
        '--app-channel-address',
        '127.0.0.1',
      );
    }
    return {
      spec: {
        name,
        command: toolBin('daprd'),
        args,
        // The SQLite name-resolution table sits in this folder, shared by every sidecar.
        cwd: join(this.options.dataDir, 'dapr'),
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          DAPR_API_TOKEN: secrets.daprApiToken,
          APP_API_TOKEN: secrets.appApiToken,
          PARLEY_REDIS_HOST: `${redis.host}:${redis.port}`,
          PARLEY_REDIS_PASSWORD: redis.password,
        },
      },
      ready: () => httpStatus(`http://127.0.0.1:${ports.daprHttp}/v1.0/healthz`, [204]),
      readyWhat: 'healthy',
    };
  }
}

/** A further process of an app (a gateway replica), with its own name and ports. */
interface Replica {
  name: string;
  ports: AppPorts;
}

/** The media service's default upload limit (`MEDIA_MAX_UPLOAD_BYTES`), 100 MiB. */
const DEFAULT_MEDIA_UPLOAD_BYTES = 100 * 1024 * 1024;

/**
 * The body limit of the sidecars uploads pass through, as a resource quantity: well above the
 * media service's own limit, since data in flight along the chain (the gateway, two sidecars)
 * keeps arriving after the service refused an upload, until it closes the connection. The
 * service's 413 must reach the client before a sidecar's own, less helpful, refusal.
 */
export function sidecarBodyLimit(mediaMaxUploadBytes: string | undefined): string {
  const bytes = Number(mediaMaxUploadBytes) || DEFAULT_MEDIA_UPLOAD_BYTES;
  return `${2 * Math.ceil(bytes / (1024 * 1024)) + 128}Mi`;
}

const INFRA = new Set(['redis', 'ferretdb', 'temporal', 'azurite', 'mail']);

export function parseRedisUrl(url: string): { host: string; port: number; password: string } {
  const parsed = new URL(url);
  return {
    host: parsed.hostname,
    port: Number(parsed.port || 6379),
    password: decodeURIComponent(parsed.password),
  };
}

/**
 * Remembers the process groups started, each with its start time, so that a launcher that was
 * killed outright can stop them next time without touching an unrelated process that reused a pid.
 */
function recordPids(dataDir: string, processes: Map<string, ManagedProcess>): void {
  const groups = [...processes.values()]
    .map((p) => p.pid)
    .filter((pid): pid is number => pid !== undefined)
    .map((pid) => ({ pid, started: processStartTime(pid) }));
  writeFileSync(join(dataDir, 'pids.json'), `${JSON.stringify(groups)}\n`);
}

/** Stops process groups left by an earlier run on this data folder that never got to stop them. */
async function killLeftovers(dataDir: string): Promise<void> {
  const file = join(dataDir, 'pids.json');
  if (!existsSync(file)) return;
  const groups = JSON.parse(readFileSync(file, 'utf8')) as { pid: number; started?: string }[];
  const leftover = groups.filter(({ pid, started }) => started && processStartTime(pid) === started);
  for (const { pid } of leftover) signalGroup(pid, 'SIGKILL');
  // Their ports are free only once they are gone.
  const deadline = Date.now() + 10_000;
  while (leftover.some(({ pid, started }) => processStartTime(pid) === started) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * The kernel's start time of a live process (field 22 of /proc/PID/stat), or undefined when it is
 * gone or a zombie waiting to be reaped.
 */
function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name in field 2 may hold spaces; count fields after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[0] === 'Z' ? undefined : fields[19];
  } catch {
    return undefined;
  }
}
