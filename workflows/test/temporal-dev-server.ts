import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { Test } from 'tap';

export const temporalBin = join(resolve(__dirname, '..', '..'), '.tools', 'bin', 'temporal');

/** Why a test that needs the Temporal CLI is skipped, or false when it is there. */
export const temporalMissing = existsSync(temporalBin)
  ? false
  : `no Temporal CLI at ${temporalBin} (npm start builds it)`;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

async function connect(address: string): Promise<Connection> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await Connection.connect({ address, connectTimeout: 2_000 });
    } catch (err) {
      if (attempt > 60) throw err;
      await sleep(500);
    }
  }
}

/**
 * A Temporal dev server of the test's own on a free loopback port, stopped when the test ends, and
 * a client once its default namespace answers.
 */
export async function startTemporalDevServer(t: Test): Promise<{ address: string; client: Client }> {
  const port = await freePort();
  const server: ChildProcess = spawn(
    temporalBin,
    [
      'server',
      'start-dev',
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--headless',
      '--log-level',
      'error',
    ],
    { stdio: 'ignore' },
  );
  t.teardown(() => {
    server.kill('SIGTERM');
  });
  const address = `127.0.0.1:${port}`;
  const connection = await connect(address);
  t.teardown(() => connection.close());
  const client = new Client({ connection });
  // The namespace is ready a moment after the frontend answers.
  for (let attempt = 0; attempt < 60; attempt++) {
    try {
      await client.workflow.count();
      break;
    } catch {
      await sleep(500);
    }
  }
  return { address, client };
}

/**
 * A worker for the project's workflows on `taskQueue` of the dev server at `address`, with the
 * given activities; its connection is closed with the test. Run it with `worker.runUntil`.
 */
export async function testWorker(t: Test, address: string, taskQueue: string, activities: object) {
  const connection = await NativeConnection.connect({ address });
  t.teardown(() => connection.close());
  return Worker.create({
    connection,
    taskQueue,
    workflowsPath: require.resolve('../src/workflows'),
    activities,
  });
}
