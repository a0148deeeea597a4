import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '@parley/devstack';
import t from 'tap';
import { startTestStack } from '../support/stack';

// `npm run demo` as a user runs it, against a running platform: real Socket.IO clients hold a
// group conversation and print what each received.
t.test('the demo holds a group conversation through the whole stack', async (t) => {
  const env = await startTestStack(t);
  const gateway = `http://127.0.0.1:${env.stack.ports.apps.gateway.app}`;
  const child = spawn(process.execPath, [join(repoRoot, 'scripts', 'demo.mjs')], {
    env: { ...process.env, PARLEY_GATEWAY_URL: gateway },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  t.equal(code, 0, 'the demo exits 0', { output });
  for (const name of ['ana', 'ben', 'cleo']) t.match(output, `${name} received:`);
  t.match(
    output,
    /ben received:[\s\S]*message #1 from ana: "Hiking on Saturday\? <b>Bring<\/b> water & snacks"/,
  );
  t.match(output, /ana received:[\s\S]*ben is typing/);
  t.match(output, /ana received:[\s\S]*ben read up to #3/);
  // cleo wrote after the message, which counts as having read it.
  t.match(output, /ana's first message: read by 2 of 2 \((ben, cleo|cleo, ben)\)/);
  t.match(output, /history holds 3 messages, sequence 1, 2, 3/, 'the retried send made no second message');
});
