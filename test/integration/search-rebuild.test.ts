import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '@parley/devstack';
import { MongoClient } from 'mongodb';
import t from 'tap';
import { eventually, startTestStack } from '../support/stack';
import { callJson, registerAndLogin } from '../support/users';

const run = promisify(execFile);

// The index is lost, and `npm run search:rebuild` brings it back from chat's stored messages.
t.test('the search index is rebuilt from chat history with one command', async (t) => {
  const env = await startTestStack(t, { env: { BCRYPT_COST: '4' } });
  const origin = `http://127.0.0.1:${env.stack.ports.apps.gateway.app}`;
  const api = `${origin}/api/v1`;
  const alice = await registerAndLogin(origin);
  const mongo = new MongoClient(`mongodb://127.0.0.1:${env.stack.ports.mongo}/`);
  t.teardown(() => mongo.close());

  const group = await callJson<{ id: string }>(`${api}/conversations`, {
    token: alice.accessToken,
    body: { type: 'group', name: 'History', memberIds: [] },
  });
  const marker = `rebuild${randomUUID().slice(0, 6)}`;
  const ids: string[] = [];
  for (const text of [`${marker} first`, `${marker} 上海 second`, `${marker} doomed`]) {
    const sent = await callJson<{ id: string }>(`${api}/conversations/${group.body.id}/messages`, {
      token: alice.accessToken,
      body: { clientMessageId: randomUUID(), text },
    });
    ids.push(sent.body.id);
  }
  await callJson(`${api}/messages/${ids[2]}`, { method: 'DELETE', token: alice.accessToken });
  const search = async (q: string) =>
    (
      await callJson<{ found: number }>(`${api}/search/messages?q=${encodeURIComponent(q)}`, {
        token: alice.accessToken,
      })
    ).body.found;
  await eventually(async () => ((await search(marker)) === 2 ? true : undefined));

  // Lose the index: its documents in the database and, after a restart, in memory.
  await mongo.db('parley_search').collection('messages').deleteMany({});
  await env.stack.restart('search', 'search-dapr');
  t.equal(await search(marker), 0, 'the index is empty');

  const { stdout } = await run(process.execPath, [join(repoRoot, 'scripts', 'search-rebuild.mjs')], {
    env: {
      ...process.env,
      SEARCH_DAPR_URL: `http://127.0.0.1:${env.stack.ports.apps.search.daprHttp}`,
      SEARCH_DAPR_API_TOKEN: env.stack.secrets.apps.search.daprApiToken,
    },
  });
  t.match(stdout, /rebuild [0-9a-f-]+ started/);
  t.match(stdout, /indexed 3 of about 3 messages \(100%\)/, 'progress is shown');
  t.match(stdout, /rebuild completed: 3 messages/);

  t.equal(await search(marker), 2, 'the live messages are found again');
  t.equal(await search('上海'), 1, 'CJK text too');
  t.equal(await search('doomed'), 0, 'the deleted one stays deleted');
});
