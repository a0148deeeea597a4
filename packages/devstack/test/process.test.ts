import { readFileSync, readdirSync } from 'node:fs';
import { getPriority } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { BACKGROUND_NICENESS, ManagedProcess, StartError } from '../src/process';

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

t.test('a background process runs lowered, with every thread it starts', async (t) => {
  // A worker thread starts after the program did: it must be lowered too.
  const script = `
    const { Worker } = require('node:worker_threads');
    new Worker('setInterval(() => {}, 1000)', { eval: true }).on('online', () => console.log('up'));
    setInterval(() => {}, 1000);
  `;
  const lines: string[] = [];
  const proc = new ManagedProcess(
    { name: 'indexer', command: process.execPath, args: ['-e', script], background: true },
    (_n, l) => lines.push(l),
  );
  proc.start();
  t.teardown(() => proc.stop(500));
  await proc.waitUntil(async () => lines.includes('up'), 'printing', 10_000);
  const pid = proc.pid as number;
  // Lowered from wherever the launcher runs (the test runner may itself run lowered).
  const launcher = getPriority(process.pid);
  const lowered = Math.min(19, launcher + BACKGROUND_NICENESS);
  t.equal(getPriority(pid), lowered, 'the process itself');
  const threads = readdirSync(`/proc/${pid}/task`);
  t.ok(threads.length > 1, 'it has several threads');
  // Field 19 of a thread's stat line is its niceness; the name before it may hold spaces.
  const niceness = threads.map((tid) => {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  });
  t.same(new Set(niceness), new Set([lowered]), 'each of its threads');
  t.equal(getPriority(process.pid), launcher, 'the launcher itself is untouched');
});

t.test('a process whose program cannot start reports the program it tried', async (t) => {
  const proc = new ManagedProcess(
    { name: 'missing', command: '/nonexistent/program', args: [] },
    () => undefined,
  );
  proc.start();
  await t.rejects(
    proc.waitUntil(async () => false, 'ready', 5_000),
    /failed to spawn \/nonexistent\/program/,
  );
});
