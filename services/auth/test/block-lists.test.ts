import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, tcpOpen, toolBin } from '@parley/devstack';
import { MongoClient } from 'mongodb';
import t from 'tap';
import { ContactStore } from '../src/contacts/contact-store';

t.test('block lists on FerretDB', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-auth-test-'));
  const port = await freePort();
  const child: ChildProcess = spawn(
    toolBin('ferretdb'),
    [`--listen-addr=127.0.0.1:${port}`, `--sqlite-url=file:${dir}/`, '--log-level=error'],
    { stdio: 'ignore' },
  );
  t.teardown(async () => {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    rmSync(dir, { recursive: true, force: true });
  });
  const deadline = Date.now() + 20_000;
  while (!(await tcpOpen(port))) {
    if (Date.now() > deadline) throw new Error('FerretDB did not start');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const client = new MongoClient(`mongodb://127.0.0.1:${port}/`);
  await client.connect();
  t.teardown(() => client.close());
  const db = client.db('parley_auth_lists_test');
  const contacts = new ContactStore(db);

  await t.test('a block hides both ways and an unblock ends it', async (t) => {
    await contacts.block('u_a', 'u_b');
    t.same(await contacts.blockedAmong('u_a', ['u_b', 'u_c']), ['u_b']);
    t.same(await contacts.blockedAmong('u_b', ['u_a', 'u_c']), ['u_a']);
    t.equal(await contacts.unblock('u_a', 'u_b'), true);
    t.same(await contacts.blockedAmong('u_a', ['u_b']), []);
    t.same(await contacts.blockedAmong('u_b', ['u_a']), []);
  });

  await t.test('a listed block that was never stored is not reported', async (t) => {
    // What a crash between listing a block and storing it leaves behind.
    await db
      .collection<{ _id: string; blocked: string[] }>('block_lists')
      .updateOne({ _id: 'u_d' }, { $addToSet: { blocked: 'u_e' } }, { upsert: true });
    t.same(await contacts.blockedAmong('u_d', ['u_e']), []);
  });

  await t.test('blocks stored before the lists are found', async (t) => {
    await db
      .collection<{ _id: string; blockerId: string; blockedId: string; createdAt: Date }>('blocks')
      .insertOne({ _id: 'u_f:u_g', blockerId: 'u_f', blockedId: 'u_g', createdAt: new Date() });
    t.same(await contacts.blockedAmong('u_g', ['u_f']), ['u_f']);
    t.same(await contacts.blockedAmong('u_f', ['u_g']), ['u_g']);
  });
});
