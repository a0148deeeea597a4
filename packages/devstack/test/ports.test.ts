import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DAPR_APPS } from '@parley/contracts';
import t from 'tap';
import { fixedPortPlan, freePortPlan, portsOf } from '../src/ports';
import { loadOrCreateSecrets } from '../src/secrets';
import { parseRedisUrl } from '../src/stack';

t.test('the fixed plan gives every slot its own port, all moved by the base', async (t) => {
  const plan = fixedPortPlan(4400);
  const ports = portsOf(plan);
  t.equal(new Set(ports).size, ports.length, 'no port is used twice');
  t.equal(plan.apps.gateway.app, 4400);
  t.same(Object.keys(plan.apps), [...DAPR_APPS]);
  const moved = portsOf(fixedPortPlan(5400));
  t.same(
    moved.map((p) => p - 1000),
    ports,
  );
});

t.test('the free plan gives distinct free ports', async (t) => {
  const ports = portsOf(await freePortPlan());
  t.equal(new Set(ports).size, ports.length);
});

t.test('secrets are created once, kept across runs and readable only by the owner', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-secrets-'));
  const first = loadOrCreateSecrets(dir);
  const second = loadOrCreateSecrets(dir);
  t.same(second, first);
  t.not(first.apps.chat.appApiToken, first.apps.auth.appApiToken, 'each app has its own token');
  t.not(first.apps.chat.appApiToken, first.apps.chat.daprApiToken);
  t.equal(statSync(join(dir, 'secrets.json')).mode & 0o777, 0o600);
  t.match(JSON.parse(readFileSync(join(dir, 'secrets.json'), 'utf8')), { opsToken: first.opsToken });
});

t.test('reads host, port and password from a Redis URL', async (t) => {
  t.same(parseRedisUrl('redis://:p%40ss@cache.internal:6380'), {
    host: 'cache.internal',
    port: 6380,
    password: 'p@ss',
  });
  t.same(parseRedisUrl('redis://127.0.0.1'), { host: '127.0.0.1', port: 6379, password: '' });
});
