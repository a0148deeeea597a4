import t from 'tap';
import { EventBudget } from '../src/realtime/event-budget';

t.test('a socket may send a burst, then at the steady rate', async (t) => {
  const budget = new EventBudget(10, 5, 0);
  const burst = Array.from({ length: 5 }, () => budget.take(0));
  t.same(burst, [0, 0, 0, 0, 0], 'the whole burst goes at once');
  t.equal(budget.take(0), 100, 'the next waits one token: 100 ms at 10 per second');
  t.equal(budget.take(50), 50, 'half a token later, half the wait');
  t.equal(budget.take(100), 0, 'a token has come back');
  t.equal(budget.take(100), 100);
});

t.test('a quiet spell refills no more than the burst', async (t) => {
  const budget = new EventBudget(10, 3, 0);
  for (let i = 0; i < 3; i++) budget.take(0);
  const after = Array.from({ length: 4 }, () => budget.take(60_000));
  t.same(after.slice(0, 3), [0, 0, 0]);
  t.ok(after[3]! > 0, 'a minute of silence buys three events, not six hundred');
});

t.test('refused events spend nothing, so waiting the answer is enough', async (t) => {
  const budget = new EventBudget(4, 1, 0);
  t.equal(budget.take(0), 0);
  const wait = budget.take(0);
  t.equal(wait, 250);
  for (let i = 0; i < 10; i++) budget.take(10);
  t.equal(budget.take(wait), 0, 'after the wait it was told, the event goes');
});

t.test('a clock stepping back neither adds nor removes tokens', async (t) => {
  const budget = new EventBudget(10, 2, 1_000);
  budget.take(1_000);
  budget.take(1_000);
  t.ok(budget.take(500) > 0, 'no refill from a step back');
  t.equal(budget.take(1_100), 0, 'the refill resumes from the latest time seen');
});
