import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Stack, StartError, type StackOptions, freePortPlan } from '@parley/devstack';
import type { Test } from 'tap';

export interface TestStack {
  stack: Stack;
  dataDir: string;
  /** Every line every process wrote, prefixed with its name. */
  logs: string[];
  /** A second stack on the same data folder and ports, as after a restart. */
  restart(): Promise<Stack>;
}

/**
 * The per-user send budget, raised: tests send bursts from one user far beyond what a person
 * writes. A test of the budget itself sets its own.
 */
const TEST_SEND_BUDGET = { RATE_LIMIT_SEND_BURST: '100000', RATE_LIMIT_SENDS_PER_MINUTE: '100000' };

/**
 * Starts the whole platform on free loopback ports and a fresh data folder, torn down with the
 * test. Process output is kept and printed only when the test fails.
 */
export async function startTestStack(
  t: Test,
  overrides: Partial<StackOptions> = {},
  gatewayReplicas = 1,
): Promise<TestStack> {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-test-'));
  const ports = await freePortPlan(gatewayReplicas);
  const logs: string[] = [];
  let options: StackOptions = {
    dataDir,
    ports,
    sink: (name, line) => logs.push(`${name} | ${line}`),
    logLevel: 'warn',
    // A sidecar that never comes up then says what it was waiting for (at 'error' it said nothing).
    daprLogLevel: 'info',
    startTimeoutMs: 90_000,
    ...overrides,
    env: { ...TEST_SEND_BUDGET, ...overrides.env },
  };
  let current = new Stack(options);
  // A test process killed by a timeout or Ctrl-C never reaches its teardown; its stack must not
  // outlive it, holding ports other tests then find taken.
  const killNow = () => current.killAllNow();
  const onSignal = (signal: NodeJS.Signals) => {
    killNow();
    process.kill(process.pid, signal);
  };
  process.once('exit', killNow);
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  t.teardown(async () => {
    process.off('exit', killNow);
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    // A stop slowed by a loaded machine must not outlast the runner's patience: the runner would
    // then kill this process outright and leave the stack behind. Whatever is left is killed.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      current.stop(),
      new Promise((resolve) => (timer = setTimeout(resolve, STOP_PATIENCE_MS))),
    ]);
    clearTimeout(timer);
    current.killAllNow();
    if (t.passing()) rmSync(dataDir, { recursive: true, force: true });
    else t.comment(`logs of the stack (data in ${dataDir}):\n${logs.slice(-300).join('\n')}`);
  });
  try {
    await current.start();
  } catch (err) {
    if (!(err instanceof StartError)) throw err;
    // A start that fails is reported whole, with every process's output, then tried once more on
    // fresh ports: a rare start-up that never became ready must show in the run's output, yet not
    // fail a test about something else. A second failure fails the test.
    t.comment(
      `the stack did not come up and is started again on fresh ports: ${err.message}\n` +
        `logs of the first start:\n${logs.slice(-300).join('\n')}`,
    );
    logs.length = 0;
    options = { ...options, ports: await freePortPlan(gatewayReplicas) };
    current = new Stack(options);
    await current.start();
  }
  return {
    get stack() {
      return current;
    },
    dataDir,
    logs,
    async restart() {
      await current.stop();
      current = new Stack(options);
      await current.start();
      return current;
    },
  };
}

/** How long a test stack gets to stop gracefully before what is left is killed. */
const STOP_PATIENCE_MS = 45_000;

/** Polls until `check` returns a value, or fails after the timeout with the last error. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
}
