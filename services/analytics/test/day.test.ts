import t from 'tap';
import { dayOf, daysBetween, quantile } from '../src/figures/day';

t.test('days are UTC calendar days', async (t) => {
  t.equal(dayOf('2026-03-01T23:59:59.999Z'), '2026-03-01');
  t.equal(dayOf('2026-03-01T23:30:00-02:00'), '2026-03-02');
  t.same(daysBetween('2026-02-27', '2026-03-01'), ['2026-02-27', '2026-02-28', '2026-03-01']);
  t.same(daysBetween('2026-03-02', '2026-03-01'), []);
});

t.test('median and 95th percentile by nearest rank', async (t) => {
  t.equal(quantile([], 0.5), null);
  t.equal(quantile([7], 0.95), 7);
  t.equal(quantile([1, 2, 3, 4], 0.5), 2);
  const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
  t.equal(quantile(hundred, 0.5), 50);
  t.equal(quantile(hundred, 0.95), 95);
});
