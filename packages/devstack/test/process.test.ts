import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { ManagedProcess, StartError } from '../src/process';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

t.test('fails fast with the last lines when a process exits before it is healthy', async (t) => {
  const lines: string[] = [];
  const proc = new ManagedProcess(
    {
      name: 'broken',
      command: process.execPath,
      args: ['-e', 'console.error("cannot bind port"); process.exit(3)'],
    },
    (name, line) => lines.push(`${name}|${line}`),
  );
  proc.start();
  const started = Date.now();
  const err = await proc.waitUntil(async () => false, 'healthy', 30_000).catch((e: unknown) => e);
  t.type(err, StartError);
  t.match((err as StartError).message, /broken did not come up: exited \(code 3/);
  t.match((err as StartError).message, /cannot bind port/);
  t.ok(Date.now() - started < 10_000, 'does not wait for the timeout');
  t.same(lines, ['broken|cannot bind port']);
});

t.test('reports a process that never becomes healthy after the timeout', async (t) => {
  const proc = new ManagedProcess(
    { name: 'slow', command: process.execPath, args: ['-e', 'setInterval(() => {}, 1000)'] },
    () => undefined,
  );
  proc.start();
  t.teardown(() => proc.stop());
  await t.rejects(
    proc.waitUntil(async () => false, 'ready', 1_000),
    /slow did not come up: not ready after 1s/,
  );
});

t.test('a timeout names the latest failure, not an older one', async (t) => {
  const proc = new ManagedProcess(
    { name: 'half-up', command: process.execPath, args: ['-e', 'setInterval(() => {}, 1000)'] },
    () => undefined,
  );
  proc.start();
  t.teardown(() => proc.stop());
  // First the port is closed, then the process answers but reports a dependency down.
  const outcomes = [new Error('fetch failed'), new Error('answered 503: sidecar not ready')];
  let calls = 0;
  const check = async () => {
    const outcome = outcomes[Math.min(calls++, outcomes.length - 1)];
    throw outcome;
  };
  const err = await proc.waitUntil(check, 'ready', 1_000).catch((e: unknown) => e);
  t.match((err as StartError).message, /not ready after 1s \(answered 503: sidecar not ready\)/);
  t.notMatch((err as StartError).message, /fetch failed/);
});

t.test('a check that says no clears an older failure', async (t) => {
  const proc = new ManagedProcess(
    { name: 'quiet', command: process.execPath, args: ['-e', 'setInterval(() => {}, 1000)'] },
    () => undefined,
  );
  proc.start();
  t.teardown(() => proc.stop());
  let calls = 0;
  const check = async () => {
    if (calls++ === 0) throw new Error('fetch failed');
    return false;
  };
  const err = await proc.waitUntil(check, 'ready', 1_000).catch((e: unknown) => e);
  t.notMatch((err as StartError).message, /fetch failed/);
});

t.test('stopping a process stops what it spawned too', async (t) => {
  const script = `
    const { spawn } = require('node:child_process');
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    console.log(child.pid);
    process.on('SIGTERM', () => {});  // a parent that ignores SIGTERM
    setInterval(() => {}, 1000);
  `;
  const lines: string[] = [];
  const proc = new ManagedProcess(
    { name: 'parent', command: process.execPath, args: ['-e', script] },
    (_n, l) => lines.push(l),
  );
  proc.start();
  await proc.waitUntil(async () => lines.length > 0, 'printing', 10_000);
  const grandchild = Number(lines[0]);
  t.ok(alive(grandchild), 'the grandchild runs');
  await proc.stop(500);
  await sleep(100);
  t.notOk(alive(proc.pid as number), 'the process is gone though it ignored SIGTERM');
  t.notOk(alive(grandchild), 'its child is gone too');
});
