import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { tcpOpen } from '../src/checks';
import { fixedPortPlan, portIsFree, portsOf } from '../src/ports';
import { repoRoot } from '../src/paths';

// `npm start` as a user runs it: the launcher command on its fixed ports, moved to a free range.

function planPorts(base: number): number[] {
  return portsOf(fixedPortPlan(base));
}

/** A base whose whole plan is free, below the kernel's ephemeral port range. */
async function freeBase(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 10_000 + Math.floor(Math.random() * 215) * 100;
    if ((await Promise.all(planPorts(base).map(portIsFree))).every(Boolean)) return base;
  }
  throw new Error('no free port range found');
}

/** Ports of the plan that something still listens on. */
async function portsInUse(base: number): Promise<number[]> {
  const ports = planPorts(base);
  const free = await Promise.all(ports.map(portIsFree));
  return ports.filter((_, i) => !free[i]);
}

/** Processes whose command line names the folder: what a run on that data folder left behind. */
function processesUsing(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (cmdline.includes(dir)) found.push(`${entry}: ${cmdline}`);
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

/** Pids whose parent is `parent`. */
function childrenOf(parent: number): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === parent) found.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

interface Launch {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function launch(env: NodeJS.ProcessEnv): Launch {
  const child = spawn(process.execPath, [join(repoRoot, 'packages/devstack/dist/cli.js')], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function waitForOutput(run: Launch, pattern: RegExp, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(run.output())) {
    if (Date.now() > deadline)
      throw new Error(`launcher never printed ${pattern}:\n${run.output().slice(-4000)}`);
    if (run.child.exitCode !== null) throw new Error(`launcher exited early:\n${run.output().slice(-4000)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

t.test(
  'the launcher brings everything up, says where it is, restarts a crashed service, and Ctrl-C leaves nothing behind',
  async (t) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'parley-launch-'));
    const base = await freeBase();
    const run = launch({ PARLEY_DATA_DIR: dataDir, PARLEY_PORT_BASE: String(base), LOG_LEVEL: 'warn' });
    t.teardown(() => {
      run.child.kill('SIGKILL');
    });
    await waitForOutput(run, /Parley is up/, 180_000);
    const plan = fixedPortPlan(base);

    const printed = run.output();
    for (const [what, url] of [
      ['web app', `http://127.0.0.1:${base}/`],
      ['API reference', `http://127.0.0.1:${base}/api/reference`],
      ['Temporal UI', `http://127.0.0.1:${plan.temporalUi}`],
      ['mail inbox', `http://127.0.0.1:${plan.mailWeb}`],
    ] as const) {
      t.ok(printed.includes(url), `prints the ${what} at ${url}`);
      t.equal((await fetch(url)).status, 200, `the ${what} answers`);
    }
    const secrets = JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8'));
    const metadata = `http://127.0.0.1:${plan.apps.chat.daprHttp}/v1.0/metadata`;
    t.ok(printed.includes(metadata), "prints each sidecar's metadata address");
    const meta = await fetch(metadata, { headers: { 'dapr-api-token': secrets.apps.chat.daprApiToken } });
    const { id, subscriptions } = (await meta.json()) as { id: string; subscriptions: { topic: string }[] };
    t.equal(id, 'chat');
    t.ok(
      subscriptions.some((s) => s.topic === 'platform.probe'),
      'the sidecar holds its declarative subscriptions',
    );
    t.ok(processesUsing(dataDir).length >= 4, 'infrastructure runs on the data folder');
    t.ok(await tcpOpen(plan.redis), 'redis answers');

    // A service that dies after start-up is started again; until then the gateway says it is away.
    const chatPid = childrenOf(run.child.pid!).find((pid) =>
      commandOf(pid).includes('services/chat/dist/main.js'),
    );
    t.ok(chatPid, 'the chat service is a child of the launcher');
    process.kill(chatPid!, 'SIGKILL');
    await waitForOutput(run, /chat\s*\| !! exited unexpectedly \(signal SIGKILL\); restarting in 1s/, 30_000);
    await waitForOutput(run, /chat\s*\| restarted and healthy again/, 120_000);
    const answer = await fetch(`http://127.0.0.1:${base}/api/v1/conversations`);
    t.equal(answer.status, 401, 'chat answers again (a request without a token is refused by chat)');

    run.child.kill('SIGINT');
    t.equal(await run.exited, 0, 'exits cleanly on Ctrl-C');
    t.same(processesUsing(dataDir), [], 'no process of the run is left');
    t.notOk(await tcpOpen(plan.redis), 'redis is stopped too');
    t.same(await portsInUse(base), [], 'no process listens on any port of the plan');
  },
);

t.test('the launcher fails fast, naming the part that did not come up and its last lines', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-launch-'));
  const base = await freeBase();
  // Nothing listens there: every service that needs MongoDB fails to start.
  const closedPort = base + 99;
  const run = launch({
    PARLEY_DATA_DIR: dataDir,
    PARLEY_PORT_BASE: String(base),
    MONGODB_URL: `mongodb://127.0.0.1:${closedPort}/`,
    LOG_LEVEL: 'warn',
  });
  t.teardown(() => {
    run.child.kill('SIGKILL');
  });
  t.equal(await run.exited, 1, 'exits non-zero');
  t.match(run.output(), /(auth|chat|notification|media|analytics|search) did not come up: exited/);
  t.match(run.output(), /cannot reach MongoDB/);
  t.notMatch(run.output(), /Parley is up/);
  t.same(processesUsing(dataDir), [], 'stops what it had started');
  t.same(await portsInUse(base), [], 'no port of the plan is left taken');
});

t.test('a launcher killed outright is cleaned up by the next start on the same data folder', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-launch-'));
  const base = await freeBase();
  const env = { PARLEY_DATA_DIR: dataDir, PARLEY_PORT_BASE: String(base), LOG_LEVEL: 'warn' };
  const first = launch(env);
  t.teardown(() => {
    first.child.kill('SIGKILL');
  });
  await waitForOutput(first, /Parley is up/, 180_000);
  first.child.kill('SIGKILL');
  await first.exited;
  t.ok(processesUsing(dataDir).length > 0, 'its processes outlive it');

  const second = launch(env);
  t.teardown(() => {
    second.child.kill('SIGKILL');
  });
  await waitForOutput(second, /Parley is up/, 180_000);
  t.pass('the next start comes up on the same ports');
  second.child.kill('SIGINT');
  t.equal(await second.exited, 0);
  t.same(processesUsing(dataDir), [], 'nothing of either run is left');
  t.same(await portsInUse(base), [], 'and no port of the plan is taken');
});
