import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DAPR_APPS, type DaprApp } from '@parley/contracts';
import t from 'tap';
import { externalPartsFromEnv } from '../src/external';
import { repoRoot } from '../src/paths';
import { fixedPortPlan } from '../src/ports';
import {
  LAUNCHER_READS,
  LAUNCHER_SETTINGS,
  SERVICE_SETTINGS,
  ignoredSettings,
  publicUrlFromEnv,
  serviceSettingsFromEnv,
  settingsSetIn,
} from '../src/service-settings';
import { Stack } from '../src/stack';

// The services' configuration schemas are read from their source rather than imported: several
// live inside a `main.ts` that starts the service when loaded.

/** Where each process's configuration comes from; the service kit's schema is every process's. */
const SOURCES: [string, readonly DaprApp[]][] = [
  ['packages/service-kit/src', DAPR_APPS],
  ['workflows/src', ['worker']],
  ...DAPR_APPS.filter((app) => app !== 'worker').map((app): [string, DaprApp[]] => [
    `services/${app}/src`,
    [app],
  ]),
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts'))
    .map((entry) => join(entry.parentPath, entry.name));
}

/**
 * Variables one file reads: keys of zod schemas and field objects (`NAME: z...`, `NAME: count...`
 * where `count` is a zod schema of the file, `NAME: mongoUrlSchema`), and `process.env.NAME`.
 */
function variablesOf(source: string): string[] {
  const zodNames = new Set(['z']);
  for (const [, name = ''] of source.matchAll(/const (\w+)\s*=\s*(?:\([^)]*\)\s*=>\s*)?z\b/g))
    zodNames.add(name);
  const found: string[] = [];
  for (const [, key = '', value = ''] of source.matchAll(/^\s+([A-Z][A-Z0-9_]*):\s*([A-Za-z_$][\w$]*)/gm)) {
    if (zodNames.has(value) || value.endsWith('Schema')) found.push(key);
  }
  for (const [, name = ''] of source.matchAll(/process\.env(?:\.|\[')([A-Z][A-Z0-9_]*)/g)) found.push(name);
  return found;
}

/** Every variable the services and the worker read, with the processes that read it. */
function variablesRead(): Map<string, Set<DaprApp>> {
  const readers = new Map<string, Set<DaprApp>>();
  for (const [dir, apps] of SOURCES) {
    for (const file of sourceFiles(join(repoRoot, dir))) {
      for (const name of variablesOf(readFileSync(file, 'utf8'))) {
        const set = readers.get(name) ?? new Set();
        for (const app of apps) set.add(app);
        readers.set(name, set);
      }
    }
  }
  return readers;
}

const sorted = (apps: Iterable<DaprApp>) => [...apps].sort();

t.test('the scan of the schemas finds the settings it must, and no error codes', async (t) => {
  const read = variablesRead();
  t.same(sorted(read.get('RATE_LIMIT_LOGIN_PER_IP') ?? []), ['gateway']);
  t.same(sorted(read.get('BCRYPT_COST') ?? []), ['auth']);
  t.same(sorted(read.get('CHAT_MEMBERSHIP_CACHE_MS') ?? []), ['chat'], 'a schema inside main.ts');
  t.same(sorted(read.get('INVITE_EXPIRES_AFTER_SECONDS') ?? []), ['notification']);
  t.same(sorted(read.get('EMAIL_FROM') ?? []), ['worker']);
  t.same(sorted(read.get('STARTUP_DEADLINE_MS') ?? []), sorted(DAPR_APPS));
  t.notOk(read.has('INVITE_NOT_FOUND'), 'error codes are not settings');
});

t.test('every setting a service reads is either handed on or kept by the launcher', async (t) => {
  const read = variablesRead();
  const handedOn = SERVICE_SETTINGS.map((s) => s.name);
  const kept = [...Object.keys(LAUNCHER_SETTINGS), ...LAUNCHER_READS];
  const listed = [...handedOn, ...kept];
  t.same(
    [...read.keys()].filter((name) => !listed.includes(name)).sort(),
    [],
    'settings missing from service-settings.ts',
  );
  t.same(
    listed.filter((name) => !read.has(name)),
    [],
    'listed names no service reads',
  );
  t.equal(new Set(listed).size, listed.length, 'each name is in one list only, once');
});

t.test('each setting goes to exactly the processes whose schema reads it', async (t) => {
  const read = variablesRead();
  for (const { name, readers } of SERVICE_SETTINGS) {
    t.same(sorted(readers), sorted(read.get(name) ?? []), name);
  }
});

t.test(
  'the external servers the launcher reads itself are the ones externalPartsFromEnv takes',
  async (t) => {
    for (const name of LAUNCHER_READS.filter((name) => !['LOG_LEVEL', 'PUBLIC_URL'].includes(name))) {
      t.ok(Object.values(externalPartsFromEnv({ [name]: 'x-marker' })).includes('x-marker'), name);
    }
  },
);

t.test('settings set in the environment go to the processes that read them, and nothing else', async (t) => {
  const env = {
    RATE_LIMIT_LOGIN_PER_IP: '5',
    MEDIA_CONTAINER: 'pictures',
    STARTUP_DEADLINE_MS: '90000',
    BCRYPT_COST: '',
    PATH: '/usr/bin',
    HOME: '/home/someone',
    HOST: '0.0.0.0',
    PORT: '80',
    DAPR_API_TOKEN: 'a'.repeat(32),
    OPS_TOKEN: 'b'.repeat(32),
    SIGNING_KEY_ENCRYPTION_KEY: 'c'.repeat(44),
    REDIS_URL: 'redis://127.0.0.1:1',
    PUBLIC_URL: 'https://chat.example.test',
  };
  const byApp = serviceSettingsFromEnv(env);
  t.same(byApp.gateway, { RATE_LIMIT_LOGIN_PER_IP: '5', STARTUP_DEADLINE_MS: '90000' });
  t.same(byApp.media, { MEDIA_CONTAINER: 'pictures', STARTUP_DEADLINE_MS: '90000' });
  t.same(byApp.worker, { MEDIA_CONTAINER: 'pictures', STARTUP_DEADLINE_MS: '90000' });
  t.same(byApp.auth, { STARTUP_DEADLINE_MS: '90000' }, 'an empty value counts as unset');
  t.same(
    settingsSetIn(env).map((s) => s.name),
    ['STARTUP_DEADLINE_MS', 'RATE_LIMIT_LOGIN_PER_IP', 'MEDIA_CONTAINER'],
  );
  t.same(
    ignoredSettings(env).map((s) => s.name),
    ['HOST', 'PORT', 'DAPR_API_TOKEN', 'OPS_TOKEN', 'SIGNING_KEY_ENCRYPTION_KEY'],
    'the launcher names what it keeps its own value of (PUBLIC_URL it reads itself)',
  );
  t.same(serviceSettingsFromEnv({}), {});
});

t.test("an app's settings reach its processes only, beneath the stack's own values", async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-settings-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const stack = new Stack({
    dataDir,
    ports: fixedPortPlan(5400),
    sink: () => {},
    env: { EMAIL_FROM: 'Tests <tests@parley.localhost>' },
    appSettings: {
      gateway: { RATE_LIMIT_LOGIN_PER_IP: '2', OPS_TOKEN: 'not the launcher one' },
      worker: { EMAIL_FROM: 'Operator <ops@example.test>' },
    },
  });
  t.equal(stack.appEnvironment('gateway').RATE_LIMIT_LOGIN_PER_IP, '2');
  t.notOk('RATE_LIMIT_LOGIN_PER_IP' in stack.appEnvironment('auth'), 'other apps do not get it');
  t.equal(stack.appEnvironment('gateway').OPS_TOKEN, stack.secrets.opsToken, "the stack's value wins");
  t.equal(stack.appEnvironment('worker').EMAIL_FROM, 'Tests <tests@parley.localhost>', 'env wins too');
});

t.test('PUBLIC_URL is where links point and an origin whose pages may open sockets', async (t) => {
  t.equal(publicUrlFromEnv({}), undefined);
  t.equal(publicUrlFromEnv({ PUBLIC_URL: '' }), undefined, 'empty is unset');
  t.equal(
    publicUrlFromEnv({ PUBLIC_URL: 'https://Chat.Example.lan:8443/' }),
    'https://chat.example.lan:8443',
  );
  for (const bad of [
    'chat.example.lan',
    'ftp://chat.example.lan',
    'http://x/app',
    'http://x/?a=1',
    'http://x/#top',
    'http://user:pw@x:1',
  ]) {
    t.throws(() => publicUrlFromEnv({ PUBLIC_URL: bad }), /PUBLIC_URL must be/, bad);
  }

  const dataDir = mkdtempSync(join(tmpdir(), 'parley-public-url-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const exposed = new Stack({
    dataDir,
    ports: fixedPortPlan(5400),
    sink: () => {},
    gatewayHost: '0.0.0.0',
    publicUrl: 'http://chat.example.lan:5400',
  });
  for (const app of DAPR_APPS) {
    const env = exposed.appEnvironment(app);
    t.equal(env.PUBLIC_URL, 'http://chat.example.lan:5400', `${app}: links start there`);
    t.match(
      env.ALLOWED_ORIGINS,
      /(^|,)http:\/\/chat\.example\.lan:5400(,|$)/,
      `${app}: its pages may open sockets`,
    );
    t.match(
      env.ALLOWED_ORIGINS,
      /(^|,)http:\/\/127\.0\.0\.1:5400(,|$)/,
      `${app}: and the gateway's own still may`,
    );
  }
  const local = new Stack({ dataDir, ports: fixedPortPlan(5400), sink: () => {} });
  t.equal(local.appEnvironment('auth').PUBLIC_URL, 'http://127.0.0.1:5400', "the gateway's own by default");
});

t.test("the README's table lists the settings handed on, as service-settings.ts does", async (t) => {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const start = readme.indexOf('### Settings handed on to the services');
  t.ok(start > 0, 'the README has the section');
  const section = readme.slice(start, readme.indexOf('\n#', start + 1));
  const rows = section
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .map((line) =>
      line
        .slice(1, -1)
        .split(' | ')
        .map((cell) => cell.trim()),
    );
  const expected = SERVICE_SETTINGS.map(({ name, readers, what, fallback }) => [
    `\`${name}\``,
    readers.length === DAPR_APPS.length ? 'every process' : readers.join(', '),
    what,
    fallback,
  ]);
  t.same(rows, expected, "the table's rows, in the list's order");
});
