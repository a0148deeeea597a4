import { spawn } from 'node:child_process';
import { join } from 'node:path';
import t from 'tap';

t.test('a start-up that never finishes ends the process with a clear line', async (t) => {
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'fixtures', 'never-starts.ts')], {
    env: {
      ...process.env,
      PORT: '1',
      DAPR_API_TOKEN: 'x'.repeat(16),
      APP_API_TOKEN: 'y'.repeat(16),
      LOG_LEVEL: 'info',
      STARTUP_DEADLINE_MS: '300',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.teardown(() => child.kill('SIGKILL'));
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  t.equal(code, 1, 'exits non-zero');
  const line = output.split('\n').find((l) => l.includes('start-up did not finish in time'));
  t.ok(line, 'says why');
  t.match(JSON.parse(line ?? '{}'), { level: 60, stage: 'building', deadlineMs: 300 });
});
