import t from 'tap';
import { runChecks } from '../src/health';

t.test('is ready only when every check passes, and says which failed', async (t) => {
  const report = await runChecks([
    { name: 'good', check: async () => undefined },
    {
      name: 'bad',
      check: async () => {
        throw new Error('down');
      },
    },
  ]);
  t.equal(report.ready, false);
  t.same(report.checks.good, { ok: true });
  t.same(report.checks.bad, { ok: false, error: 'down' });
});

t.test('fails a check that hangs instead of hanging itself', async (t) => {
  const started = Date.now();
  const report = await runChecks([{ name: 'stuck', check: () => new Promise(() => undefined) }]);
  t.equal(report.ready, false);
  t.match(report.checks.stuck?.error, /timed out/);
  t.ok(Date.now() - started < 5_000);
});
