import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from '@parley/devstack';
import t, { type Test } from 'tap';

/** Runs a fixture service with a 300 ms start-up deadline; its output is collected as it comes. */
async function run(t: Test, fixture: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'fixtures', fixture)], {
    env: {
      ...process.env,
      PORT: String(await freePort()),
      DAPR_API_TOKEN: 'x'.repeat(16),
      APP_API_TOKEN: 'y'.repeat(16),
      LOG_LEVEL: 'info',
      STARTUP_DEADLINE_MS: '300',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.teardown(() => child.kill('SIGKILL'));
  const state = { output: '' };
  child.stdout.on('data', (chunk: Buffer) => (state.output += chunk.toString()));
  return { child, state };
}

t.test('a start-up that never finishes ends the process with a clear line', async (t) => {
  const { child, state } = await run(t, 'never-starts.ts');
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  const output = state.output;
  t.equal(code, 1, 'exits non-zero');
  const line = output.split('\n').find((l) => l.includes('start-up did not finish in time'));
  t.ok(line, 'says why');
  t.match(JSON.parse(line ?? '{}'), { level: 60, stage: 'building', deadlineMs: 300 });
});

t.test('a start-up that reports progress may take longer than the deadline', async (t) => {
  const { child, state } = await run(t, 'slow-start.ts');
  let exited = false;
  // Loading the fixture may take seconds on a busy machine; either it listens or it exits.
  const outcome = new Promise<void>((resolve) => {
    child.on('exit', () => {
      exited = true;
      resolve();
    });
    child.stdout.on('data', () => {
      if (state.output.includes('"msg":"listening"')) resolve();
    });
  });
  await outcome;
  t.match(state.output, /"msg":"listening"/, 'it listens after 800 ms');
  await new Promise((resolve) => setTimeout(resolve, 500));
  t.notOk(exited, 'and keeps running');
});
