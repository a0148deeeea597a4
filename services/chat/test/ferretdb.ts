import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, tcpOpen, toolBin } from '@parley/devstack';
import { MongoClient } from 'mongodb';
import type { Test } from 'tap';

/** A private FerretDB on a free loopback port for the length of the test; resolves with its URL. */
export async function startFerretDb(t: Test): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-chat-test-'));
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
  return `mongodb://127.0.0.1:${port}/`;
}

/** A client closed with the test: each one stands for one instance of the chat service. */
export async function connect(t: Test, url: string): Promise<MongoClient> {
  const client = new MongoClient(url);
  await client.connect();
  t.teardown(() => client.close());
  return client;
}
