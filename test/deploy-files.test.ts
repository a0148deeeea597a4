import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DAPR_APPS, type DaprApp } from '@parley/contracts';
import { Stack, fixedPortPlan } from '@parley/devstack';
import t, { type Test } from 'tap';
import { parseAllDocuments, parseDocument } from 'yaml';

// Keeps dapr/dapr.yaml, docker-compose.yml and tye.yaml in step with the launcher
// (packages/devstack): the same app ids, ports, entry points and settings; and checks that the Dapr
// resources in components/ reference each other and the apps correctly.

const root = resolve(__dirname, '..');
const plan = fixedPortPlan(4400);
const knownApps = new Set<string>(DAPR_APPS);
const launcherEnv = new Stack({
  dataDir: t.testdir(),
  ports: plan,
  sink: () => undefined,
}).serviceEnvironment();

/** stack.ts starts the worker's sidecar without an app port: nothing calls the worker. */
const withoutAppChannel = new Set<DaprApp>(['worker']);
/** Settings that locate infrastructure; the rest of serviceEnvironment() are plain values or secrets. */
const endpointVariables = [
  'REDIS_URL',
  'MONGODB_URL',
  'TEMPORAL_ADDRESS',
  'AZURE_STORAGE_CONNECTION_STRING',
  'SMTP_URL',
];
const tokenVariables = ['DAPR_API_TOKEN', 'APP_API_TOKEN'];
const secretVariables = [...tokenVariables, 'OPS_TOKEN'];
const daprdVersion = /github\.com\/dapr\/dapr v(\S+)/.exec(read('tools/daprd/go.mod'))?.[1];

const entryOf = (app: DaprApp) =>
  app === 'worker' ? 'workflows/dist/worker.js' : `services/${app}/dist/main.js`;
const sourceOf = (entry: string) => entry.replace('/dist/', '/src/').replace(/\.js$/, '.ts');

type Scalar = string | number | boolean | null;
type Env = Record<string, Scalar>;

interface RunFileApp {
  appID?: string;
  appDirPath?: string;
  appPort?: number;
  daprHTTPPort?: number;
  daprGRPCPort?: number;
  daprInternalGRPCPort?: number;
  metricsPort?: number;
  command?: string[];
  env?: Env;
}
interface RunFile {
  version?: number;
  common?: { resourcesPath?: string; resourcesPaths?: string[]; configFilePath?: string; env?: Env };
  apps?: RunFileApp[];
}
type ComposePort = string | number | { host_ip?: string; published?: string | number; target?: number };
interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string | string[];
  environment?: Env | string[];
  volumes?: (string | { type?: string; source?: string; target?: string })[];
  ports?: ComposePort[];
  network_mode?: string;
  working_dir?: string;
  depends_on?: string[] | Record<string, unknown>;
}
interface ComposeFile {
  services?: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}
interface TyeService {
  name?: string;
  executable?: string;
  image?: string;
  args?: string;
  workingDirectory?: string;
  env?: (string | { name?: string; value?: Scalar })[];
  bindings?: { name?: string; port?: number; containerPort?: number; host?: string }[];
}
interface Resource {
  kind?: string;
  metadata?: { name?: string };
  spec?: Record<string, unknown>;
  scopes?: string[];
  auth?: { secretStore?: string };
}

function read(file: string): string {
  return readFileSync(join(root, file), 'utf8');
}

function load<T>(file: string): T {
  const doc = parseDocument(read(file), { merge: true });
  if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join('; ')}`);
  return doc.toJS() as T;
}

const text = (value: Scalar | undefined) =>
  value === undefined || value === null ? undefined : String(value);
const words = (command: string | string[] | undefined) =>
  Array.isArray(command) ? command.map(String) : (command ?? '').split(/\s+/).filter(Boolean);

/** The value of `--name value` or `--name=value` in a command line; undefined when absent. */
function flag(args: string[], name: string): string | undefined {
  for (const [i, arg] of args.entries()) {
    if (arg === `--${name}`) return args[i + 1];
    if (arg.startsWith(`--${name}=`)) return arg.slice(name.length + 3);
  }
  return undefined;
}

/** Host and port of an infrastructure setting: a URL, host:port, or an Azure connection string. */
function endpoint(value: string | undefined): { host: string; port: number } {
  const raw = /BlobEndpoint=([^;]+)/.exec(value ?? '')?.[1] ?? value ?? '';
  const url = new URL(raw.includes('://') ? raw : `tcp://${raw}`);
  return { host: url.hostname, port: Number(url.port) };
}

function composeEnv(service: ComposeService | undefined): Record<string, string> {
  const env = service?.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(env.map((e) => [e.split('=')[0], e.slice(e.indexOf('=') + 1)]));
  }
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, text(v) ?? '']));
}

function published(service: ComposeService | undefined): { hostIp?: string; port: number; target: number }[] {
  return (service?.ports ?? []).map((entry) => {
    if (typeof entry === 'object') {
      return { hostIp: entry.host_ip, port: Number(entry.published), target: Number(entry.target) };
    }
    const parts = String(entry)
      .replace(/\/\w+$/, '')
      .split(':');
    const target = Number(parts.pop());
    return { port: Number(parts.pop()), target, hostIp: parts.pop() };
  });
}

function mounts(service: ComposeService | undefined): { source: string; target: string }[] {
  return (service?.volumes ?? []).map((v) =>
    typeof v === 'string'
      ? { source: v.split(':')[0] ?? '', target: v.split(':')[1] ?? '' }
      : { source: v.source ?? '', target: v.target ?? '' },
  );
}
const isBind = (source: string) => source.startsWith('.') || source.startsWith('/');

/** Where a path inside a container comes from in the repository, through its bind mounts. */
function hostPath(service: ComposeService | undefined, inside: string): string | undefined {
  const mount = mounts(service).find(
    (m) => isBind(m.source) && (inside === m.target || inside.startsWith(`${m.target}/`)),
  );
  return mount && join(root, mount.source, inside.slice(mount.target.length));
}

function tyeEnv(service: TyeService | undefined): Map<string, string | undefined> {
  return new Map(
    (service?.env ?? []).map((e) => {
      if (typeof e !== 'string') return [e.name ?? '', text(e.value)];
      const at = e.indexOf('=');
      return at < 0 ? [e, undefined] : [e.slice(0, at), e.slice(at + 1)];
    }),
  );
}

/** The sidecar ports of the plan, with their daprd flag and their field in dapr.yaml. */
const sidecarPorts = [
  { key: 'daprHttp', flag: 'dapr-http-port', field: 'daprHTTPPort', what: 'HTTP API' },
  { key: 'daprGrpc', flag: 'dapr-grpc-port', field: 'daprGRPCPort', what: 'gRPC API' },
  {
    key: 'daprInternalGrpc',
    flag: 'dapr-internal-grpc-port',
    field: 'daprInternalGRPCPort',
    what: 'peer gRPC',
  },
  { key: 'daprMetrics', flag: 'metrics-port', field: 'metricsPort', what: 'metrics' },
] as const;

/** Compares a daprd command line with the sidecar the launcher starts for `app`. */
function checkSidecar(t: Test, app: DaprApp, args: string[], where: (path: string) => string | undefined) {
  const ports = plan.apps[app];
  const appPort = withoutAppChannel.has(app) ? undefined : String(ports.app);
  t.equal(flag(args, 'app-id'), app, `${app}: the sidecar runs under app id ${app}`);
  t.equal(flag(args, 'app-port'), appPort, `${app}: the sidecar calls the app where the launcher's does`);
  for (const port of sidecarPorts) {
    t.equal(
      flag(args, port.flag),
      String(ports[port.key]),
      `${app}: sidecar ${port.what} on its planned port`,
    );
  }
  const resources = flag(args, 'resources-path');
  const config = flag(args, 'config');
  t.equal(resources && where(resources), join(root, 'components'), `${app}: the sidecar loads components/`);
  const configFile = join(root, 'dapr', 'config.yaml');
  t.equal(config && where(config), configFile, `${app}: the sidecar loads dapr/config.yaml`);
}

t.test('the three deployment files parse as YAML mappings', async (t) => {
  for (const file of ['dapr/dapr.yaml', 'docker-compose.yml', 'tye.yaml']) {
    const doc = parseDocument(read(file), { merge: true });
    t.same(doc.errors, [], `${file} has no YAML errors`);
    t.same(doc.warnings, [], `${file} has no YAML warnings`);
    t.type(doc.toJS(), 'object', `${file} is a mapping`);
  }
});

t.test('the resources the deployments load exist', async (t) => {
  t.ok(existsSync(join(root, 'dapr', 'config.yaml')), 'dapr/config.yaml exists');
  t.ok(
    readdirSync(join(root, 'components')).some((f) => f.endsWith('.yaml')),
    'components/ holds resources',
  );
  t.ok(daprdVersion, 'tools/daprd/go.mod pins a dapr/dapr version');
  for (const app of DAPR_APPS) {
    t.ok(existsSync(join(root, sourceOf(entryOf(app)))), `${app}: the entry point has a source file`);
  }
});

t.test('dapr.yaml runs every app beside its sidecar on the launcher ports', async (t) => {
  const file = load<RunFile>('dapr/dapr.yaml');
  const apps = file.apps ?? [];
  const dir = join(root, 'dapr');
  t.equal(file.version, 1, 'is a version 1 run file');
  t.same(apps.map((a) => a.appID).sort(), [...DAPR_APPS].sort(), 'runs each app id of DAPR_APPS once');
  const resourcesPaths = file.common?.resourcesPaths ?? [file.common?.resourcesPath];
  t.same(
    resourcesPaths.map((p) => p && resolve(dir, p)),
    [join(root, 'components')],
    'loads components/',
  );
  const config = file.common?.configFilePath;
  t.equal(config && resolve(dir, config), join(root, 'dapr', 'config.yaml'), 'loads dapr/config.yaml');

  for (const app of DAPR_APPS) {
    const entry = apps.find((a) => a.appID === app);
    const ports = plan.apps[app];
    const appPort = withoutAppChannel.has(app) ? undefined : ports.app;
    t.equal(entry?.appPort, appPort, `${app}: the sidecar calls the app where the launcher's does`);
    t.equal(text(entry?.env?.PORT), String(ports.app), `${app}: the app listens on its planned port`);
    for (const port of sidecarPorts) {
      t.equal(entry?.[port.field], ports[port.key], `${app}: sidecar ${port.what} on its planned port`);
    }
    t.equal(entry?.command?.[0], 'node', `${app}: runs under node`);
    t.equal(entry?.command?.at(-1), entryOf(app), `${app}: runs the launcher's entry point`);
    // The CLI starts each daprd in appDirPath, where the SQLite name table lives: one folder for all.
    t.equal(entry?.appDirPath && resolve(dir, entry.appDirPath), root, `${app}: runs in the repository root`);
    t.type(entry?.env, 'object', `${app}: has its own env map, which the CLI needs to merge common.env`);
  }
});

t.test('dapr.yaml hands the apps the launcher settings and leaves the tokens to the shell', async (t) => {
  const file = load<RunFile>('dapr/dapr.yaml');
  for (const app of DAPR_APPS) {
    const env = { ...file.common?.env, ...file.apps?.find((a) => a.appID === app)?.env };
    for (const [name, value] of Object.entries(launcherEnv)) {
      if (!secretVariables.includes(name)) {
        t.equal(text(env[name]), value, `${app}: ${name} is the launcher's`);
      }
    }
    t.equal(text(env.HOST), '127.0.0.1', `${app}: binds loopback, as under the launcher`);
    // daprd inherits only the shell's environment, so a token set here would differ from the sidecar's.
    for (const name of secretVariables) {
      t.notOk(name in env, `${app}: ${name} comes from the shell, as the sidecar's does`);
    }
  }
});

t.test('docker-compose.yml runs every app beside its sidecar on the launcher ports', async (t) => {
  const services = load<ComposeFile>('docker-compose.yml').services ?? {};
  const sidecarIds = Object.values(services)
    .filter((s) => s.image?.startsWith('daprio/daprd'))
    .map((s) => flag(words(s.command), 'app-id'));
  t.same(sidecarIds.sort(), [...DAPR_APPS].sort(), 'runs one sidecar for each app id of DAPR_APPS');

  for (const app of DAPR_APPS) {
    const service = services[app];
    const sidecar = services[`${app}-dapr`];
    const env = composeEnv(service);
    const ports = plan.apps[app];
    t.match(service?.image, /^node:20/, `${app}: runs in a Node 20 container`);
    t.equal(words(service?.command).at(-1), entryOf(app), `${app}: runs the launcher's entry point`);
    t.equal(
      hostPath(service, `${service?.working_dir}/${entryOf(app)}`),
      join(root, entryOf(app)),
      `${app}: the entry point is the repository's, mounted at the working folder`,
    );
    t.equal(env.PORT, String(ports.app), `${app}: the app listens on its planned port`);
    t.equal(env.DAPR_HTTP_PORT, String(ports.daprHttp), `${app}: the app calls its sidecar's HTTP port`);
    t.equal(env.DAPR_GRPC_PORT, String(ports.daprGrpc), `${app}: the app knows its sidecar's gRPC port`);
    t.equal(
      sidecar?.image,
      `daprio/daprd:${daprdVersion}`,
      `${app}: the sidecar is the daprd the launcher builds`,
    );
    t.equal(
      sidecar?.network_mode,
      `service:${app}`,
      `${app}: the sidecar shares the app's network namespace`,
    );
    checkSidecar(t, app, words(sidecar?.command), (p) => hostPath(sidecar, p));
  }
});

t.test('docker-compose.yml sidecars share one name-resolution folder', async (t) => {
  const file = load<ComposeFile>('docker-compose.yml');
  const sidecars = DAPR_APPS.map((app) => file.services?.[`${app}-dapr`]);
  const folders = new Set(sidecars.map((s) => s?.working_dir));
  t.equal(folders.size, 1, 'every sidecar runs in the same working folder');
  const volumes = new Set(sidecars.map((s) => mounts(s).find((m) => m.target === s?.working_dir)?.source));
  t.equal(volumes.size, 1, 'the same volume is mounted there in every sidecar');
  const [volume] = volumes;
  t.ok(volume && !isBind(volume) && file.volumes && volume in file.volumes, 'it is a declared named volume');
});

t.test('docker-compose.yml gives apps and sidecars the launcher variables and shared tokens', async (t) => {
  const services = load<ComposeFile>('docker-compose.yml').services ?? {};
  for (const app of DAPR_APPS) {
    const env = composeEnv(services[app]);
    const sidecarEnv = composeEnv(services[`${app}-dapr`]);
    for (const name of [...Object.keys(launcherEnv), 'HOST', ...tokenVariables]) {
      t.ok(env[name], `${app}: the app gets ${name}`);
    }
    for (const name of tokenVariables) {
      t.equal(sidecarEnv[name], env[name], `${app}: the sidecar and the app share ${name}`);
    }
    const redis = endpoint(env.REDIS_URL);
    t.equal(
      sidecarEnv.PARLEY_REDIS_HOST,
      `${redis.host}:${redis.port}`,
      `${app}: the sidecar uses the apps' Redis`,
    );
    t.ok('PARLEY_REDIS_PASSWORD' in sidecarEnv, `${app}: the sidecar gets PARLEY_REDIS_PASSWORD`);
  }
});

t.test('docker-compose.yml publishes the infrastructure on loopback at the planned ports', async (t) => {
  const services = load<ComposeFile>('docker-compose.yml').services ?? {};
  const publishes = (name: string, port: number, target?: number) =>
    published(services[name]).some(
      (p) => p.port === port && p.hostIp === '127.0.0.1' && (target === undefined || p.target === target),
    );
  // Convention: a container listens on its usual port inside the network and is published on
  // 127.0.0.1 at the planned port, e.g. 127.0.0.1:4600 -> redis:6379.
  for (const app of DAPR_APPS) {
    const env = composeEnv(services[app]);
    for (const name of endpointVariables) {
      const inside = endpoint(env[name]);
      const planned = endpoint(launcherEnv[name]).port;
      t.ok(
        publishes(inside.host, planned, inside.port),
        `${app}: ${name} reaches ${inside.host}:${inside.port}, published at 127.0.0.1:${planned}`,
      );
    }
  }
  t.ok(publishes('temporal-ui', plan.temporalUi), 'the Temporal UI is published at its planned port');
  const smtp = endpoint(composeEnv(services.gateway).SMTP_URL).host;
  t.ok(publishes(smtp, plan.mailWeb), 'the mail inbox is published at its planned port');
  t.ok(publishes('gateway', plan.apps.gateway.app, plan.apps.gateway.app), 'the gateway is published');

  const all = Object.values(services).flatMap((s) => published(s));
  t.same(
    all.filter((p) => p.hostIp !== '127.0.0.1'),
    [],
    'every published port is bound to loopback',
  );
  t.equal(new Set(all.map((p) => p.port)).size, all.length, 'no host port is published twice');
});

t.test('docker-compose.yml uses public images and references only what exists', async (t) => {
  const file = load<ComposeFile>('docker-compose.yml');
  const services = file.services ?? {};
  for (const [name, service] of Object.entries(services)) {
    t.ok(service.image && service.build === undefined, `${name}: runs a published image, no build`);
    for (const { source } of mounts(service)) {
      if (isBind(source)) t.ok(existsSync(join(root, source)), `${name}: mounts ${source}, which exists`);
      else t.ok(file.volumes && source in file.volumes, `${name}: volume ${source} is declared`);
    }
    const needs = Array.isArray(service.depends_on)
      ? service.depends_on
      : Object.keys(service.depends_on ?? {});
    for (const other of needs) t.ok(services[other], `${name}: depends on ${other}, which is defined`);
  }
});

t.test('tye.yaml runs every app beside its sidecar on the launcher ports and settings', async (t) => {
  const services = load<{ services?: TyeService[] }>('tye.yaml').services ?? [];
  const named = (name: string) => services.find((s) => s.name === name);
  const sidecarIds = services
    .filter((s) => s.executable?.endsWith('daprd'))
    .map((s) => flag(words(s.args), 'app-id'));
  t.same(sidecarIds.sort(), [...DAPR_APPS].sort(), 'runs one sidecar for each app id of DAPR_APPS');

  for (const app of DAPR_APPS) {
    const service = named(app);
    const sidecar = named(`${app}-dapr`);
    const env = tyeEnv(service);
    const ports = plan.apps[app];
    t.equal(service?.executable, 'node', `${app}: runs under node`);
    t.equal(words(service?.args).at(-1), entryOf(app), `${app}: runs the launcher's entry point`);
    t.equal(resolve(root, service?.workingDirectory ?? ''), root, `${app}: runs in the repository root`);
    // Tye sets PORT from a service's single binding.
    t.same(
      service?.bindings?.map((b) => b.port),
      [ports.app],
      `${app}: the app listens on its planned port`,
    );
    t.equal(
      env.get('DAPR_HTTP_PORT'),
      String(ports.daprHttp),
      `${app}: the app calls its sidecar's HTTP port`,
    );
    t.equal(
      env.get('DAPR_GRPC_PORT'),
      String(ports.daprGrpc),
      `${app}: the app knows its sidecar's gRPC port`,
    );
    for (const [name, value] of Object.entries(launcherEnv)) {
      if (!secretVariables.includes(name)) t.equal(env.get(name), value, `${app}: ${name} is the launcher's`);
    }
    // Tye passes its own environment on; a token written here would differ from the sidecar's.
    for (const name of secretVariables) t.notOk(env.has(name), `${app}: ${name} comes from the shell`);

    const sidecarEnv = tyeEnv(sidecar);
    const workingDirectory = resolve(root, sidecar?.workingDirectory ?? '');
    t.equal(workingDirectory, root, `${app}: the sidecar shares the repository root's name table`);
    checkSidecar(t, app, words(sidecar?.args), (p) => resolve(workingDirectory, p));
    const binding = (name: string) => sidecar?.bindings?.find((b) => b.name === name)?.port;
    t.equal(binding('http'), ports.daprHttp, `${app}: the sidecar's http binding is its HTTP port`);
    t.equal(binding('grpc'), ports.daprGrpc, `${app}: the sidecar's grpc binding is its gRPC port`);
    for (const name of tokenVariables) {
      t.notOk(sidecarEnv.has(name), `${app}: the sidecar's ${name} comes from the shell`);
    }
    const redis = endpoint(launcherEnv.REDIS_URL);
    t.equal(
      sidecarEnv.get('PARLEY_REDIS_HOST'),
      `${redis.host}:${redis.port}`,
      `${app}: the sidecar uses Redis`,
    );
  }
});

t.test('tye.yaml publishes the infrastructure on loopback at the planned ports', async (t) => {
  const containers = (load<{ services?: TyeService[] }>('tye.yaml').services ?? []).filter((s) => s.image);
  const bindings = containers.flatMap((s) => s.bindings ?? []);
  const planned = [
    ...endpointVariables.map((name) => endpoint(launcherEnv[name]).port),
    plan.temporalUi,
    plan.mailWeb,
  ];
  for (const port of planned) {
    const binding = bindings.find((b) => b.port === port);
    t.equal(binding?.host, '127.0.0.1', `a container is published at 127.0.0.1:${port}`);
    t.ok(binding?.containerPort, `the binding at ${port} names the port the container listens on`);
  }
});

const resources = readdirSync(join(root, 'components'))
  .filter((file) => /\.ya?ml$/.test(file))
  .flatMap((file) =>
    parseAllDocuments(read(`components/${file}`)).map((d) => ({ file, doc: d.toJS() as Resource })),
  );
const components = resources.filter((r) => r.doc.kind === 'Component');
const componentNamed = (name: unknown) => components.find((c) => c.doc.metadata?.name === name);

t.test('every Subscription routes to a path, names a pub/sub and scopes only known apps', async (t) => {
  const subscriptions = resources.filter((r) => r.doc.kind === 'Subscription');
  t.ok(subscriptions.length > 0, 'components/ declares subscriptions');
  for (const { file, doc } of subscriptions) {
    const spec = doc.spec ?? {};
    const routes = spec.routes as { default?: string; rules?: { path?: string }[] } | undefined;
    const paths = [spec.route, routes?.default, ...(routes?.rules ?? []).map((r) => r.path)].filter(
      (p) => p !== undefined,
    );
    t.ok(paths.length > 0, `${file}: routes its events`);
    for (const path of paths) t.match(path, /^\/\S*$/, `${file}: route ${String(path)} is a path`);
    t.match(componentNamed(spec.pubsubname)?.doc.spec?.type, /^pubsub\./, `${file}: its pubsubname exists`);
    for (const scope of doc.scopes ?? []) {
      t.ok(knownApps.has(scope), `${file}: scope ${scope} is a known app`);
    }
  }
});

t.test("every component's secret store exists and is one", async (t) => {
  for (const { file, doc } of components) {
    const store = doc.auth?.secretStore;
    if (JSON.stringify(doc.spec?.metadata ?? []).includes('secretKeyRef')) {
      t.ok(store, `${file}: names the secret store its secretKeyRef entries read`);
    }
    if (store !== undefined) {
      t.match(
        componentNamed(store)?.doc.spec?.type,
        /^secretstores\./,
        `${file}: secret store ${store} exists`,
      );
    }
    for (const scope of doc.scopes ?? []) {
      t.ok(knownApps.has(scope), `${file}: scope ${scope} is a known app`);
    }
  }
});

t.test('the resiliency policies target only known apps and existing components', async (t) => {
  for (const { file, doc } of resources.filter((r) => r.doc.kind === 'Resiliency')) {
    const targets = (doc.spec?.targets ?? {}) as { apps?: object; components?: object };
    for (const app of Object.keys(targets.apps ?? {})) {
      t.ok(knownApps.has(app), `${file}: targets app ${app}`);
    }
    for (const name of Object.keys(targets.components ?? {})) {
      t.ok(componentNamed(name), `${file}: targets component ${name}, which exists`);
    }
  }
});
