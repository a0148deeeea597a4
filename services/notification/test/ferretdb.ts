import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, tcpOpen, toolBin } from '@parley/devstack';
import { MongoClient } from 'mongodb';
import type { Test } from 'tap';

/**
 * A client of a private FerretDB (the dev and test store) on a free loopback port, stopped and
 * removed with the test. It reports every command, so a test can count what a path asks.
 */
export async function privateClient(t: Test): Promise<MongoClient> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-notification-test-'));
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
  const client = new MongoClient(`mongodb://127.0.0.1:${port}/`, { monitorCommands: true });
  await client.connect();
  t.teardown(() => client.close());
  return client;
}
