import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tcpOpen } from './checks';
import { toolBin } from './paths';
import { freePort } from './ports';

/**
 * Starts a FerretDB of its own (the dev and test store) on a free loopback port and an empty
 * folder, for a test that needs a real database and nothing else; `teardown` receives what stops
 * it and removes the folder. Resolves with its MongoDB URL once it accepts connections.
 */
export async function startPrivateFerretDb(
  teardown: (stop: () => Promise<void>) => void,
  timeoutMs = 20_000,
): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-ferretdb-'));
  const port = await freePort();
  const child: ChildProcess = spawn(
    toolBin('ferretdb'),
    [`--listen-addr=127.0.0.1:${port}`, `--sqlite-url=file:${dir}/`, '--log-level=error'],
    { stdio: 'ignore' },
  );
  const exited = new Promise((resolve) => child.once('exit', resolve));
  teardown(async () => {
    child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  });
  const deadline = Date.now() + timeoutMs;
  while (!(await tcpOpen(port))) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error('FerretDB did not start');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return `mongodb://127.0.0.1:${port}/`;
}
