import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManagedProcess, freePort, redisPing, run, tcpOpen, toolBin } from '@parley/devstack';
import { MongoClient } from 'mongodb';
import t from 'tap';
import { eventually, startTestStack } from '../support/stack';

// A Redis and a MongoDB-compatible server that the test runs itself stand in for production
// servers: given as URLs, they replace the embedded parts.
t.test('external Redis and MongoDB URLs replace the embedded parts', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-external-'));
  const redisPort = await freePort();
  const mongoPort = await freePort();
  const sink = () => undefined;
  const redis = new ManagedProcess(
    {
      name: 'own-redis',
      command: 'redis-server',
      args: [
        '--bind',
        '127.0.0.1',
        '--port',
        String(redisPort),
        '--save',
        '',
        '--requirepass',
        's3cret:with@chars',
      ],
    },
    sink,
  );
  const mongo = new ManagedProcess(
    {
      name: 'own-mongo',
      command: toolBin('ferretdb'),
      args: [`--listen-addr=127.0.0.1:${mongoPort}`, `--sqlite-url=file:${dir}/`],
    },
    sink,
  );
  redis.start();
  mongo.start();
  t.teardown(async () => {
    await redis.stop();
    await mongo.stop();
  });
  await redis.waitUntil(
    async () =>
      (
        await run('redis-cli', [
          '-p',
          String(redisPort),
          '--no-auth-warning',
          '-a',
          's3cret:with@chars',
          'ping',
        ])
      ).output.includes('PONG'),
    'ready',
    20_000,
  );
  await mongo.waitUntil(() => tcpOpen(mongoPort), 'listening', 20_000);

  const redisUrl = `redis://:${encodeURIComponent('s3cret:with@chars')}@127.0.0.1:${redisPort}`;
  const mongodbUrl = `mongodb://127.0.0.1:${mongoPort}/`;
  const env = await startTestStack(t, { external: { redisUrl, mongodbUrl } });

  t.notOk(env.stack.processNames().includes('redis'), 'no embedded Redis is started');
  t.notOk(env.stack.processNames().includes('ferretdb'), 'no embedded FerretDB is started');
  t.notOk(await redisPing(env.stack.ports.redis), 'nothing listens on the embedded Redis port');

  const gateway = `http://127.0.0.1:${env.stack.ports.apps.gateway.app}`;
  const ops = { authorization: `Bearer ${env.stack.secrets.opsToken}` };
  const { probeId } = (await (
    await fetch(`${gateway}/api/v1/ops/probes`, { method: 'POST', headers: ops })
  ).json()) as {
    probeId: string;
  };
  await eventually(async () => {
    const res = await fetch(`${gateway}/api/v1/ops/probes/${probeId}`, { headers: ops });
    return ((await res.json()) as { complete: boolean }).complete ? true : undefined;
  });
  t.pass('the self-test completes on the external servers');

  const streamLength = await run('redis-cli', [
    '-p',
    String(redisPort),
    '--no-auth-warning',
    '-a',
    's3cret:with@chars',
    'XLEN',
    'platform.probe',
  ]);
  t.ok(Number(streamLength.output.trim()) >= 1, 'events went through the external Redis, password and all');

  const client = new MongoClient(mongodbUrl);
  t.teardown(() => client.close());
  const { databases } = await client.db().admin().listDatabases();
  t.ok(
    databases.some((db) => db.name === 'parley_analytics'),
    'the services keep their data in the external MongoDB',
  );
});
