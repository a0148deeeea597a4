import { setTimeout as delay } from 'node:timers/promises';
import t from 'tap';
import { startPeriodic } from '../src/periodic';

t.test('runs again and again, never twice at once, and stops when told', async (t) => {
  let runs = 0;
  let running = 0;
  let overlapped = false;
  const stop = startPeriodic(async () => {
    runs++;
    running++;
    if (running > 1) overlapped = true;
    await delay(70); // longer than the period: a turn that finds a run under way is skipped
    running--;
  }, 30);
  await delay(400);
  stop();
  const stoppedAt = runs;
  t.ok(runs >= 3, `ran ${runs} times`);
  t.notOk(overlapped, 'no two runs at once');
  await delay(200);
  t.equal(runs, stoppedAt, 'no run after stop');
});

t.test('a failed run does not end the turns', async (t) => {
  let runs = 0;
  const stop = startPeriodic(async () => {
    runs++;
    throw new Error('store away');
  }, 20);
  await delay(200);
  stop();
  t.ok(runs >= 3, `ran ${runs} times`);
});
