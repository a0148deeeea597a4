import { AppError, DependencyError, createLogger } from '@parley/service-kit';
import t from 'tap';
import { EmailClient, type OutgoingEmail } from '../src/email/email-client';

const logger = createLogger('test', 'silent');
const email = (key: string): OutgoingEmail => ({
  idempotencyKey: key,
  to: { address: 'a@example.test', name: 'A' },
  subject: 'Reset your password',
  text: 'a link',
});

/** A notification service that answers each try with the next of `answers` (then success). */
function notification(answers: (Error | undefined)[]) {
  const tries: string[] = [];
  return {
    tries,
    async invokeOk<T>(_app: string, _method: string, init: { body?: unknown } = {}): Promise<T> {
      tries.push((init.body as OutgoingEmail).idempotencyKey);
      const answer = answers.shift();
      if (answer) throw answer;
      return undefined as T;
    },
  };
}

const until = async (check: () => boolean) => {
  const deadline = Date.now() + 5_000;
  while (!check() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
};

t.test('an email handed over at once is not tried again', async (t) => {
  const service = notification([]);
  const client = new EmailClient(service, logger, [10]);
  await client.send(email('k1'));
  t.same(service.tries, ['k1']);
  t.equal(client.pending, 0);
});

t.test('while notification is away the email is tried again until it is handed over', async (t) => {
  const away = new DependencyError('notification', 'away');
  const service = notification([away, away, new AppError('UPSTREAM_FAILED', 502, 'down')]);
  const client = new EmailClient(service, logger, [10, 10, 10, 10]);
  await client.send(email('k2'));
  t.equal(client.pending, 1, 'waiting for its next try');
  await until(() => service.tries.length === 4);
  t.same(service.tries, ['k2', 'k2', 'k2', 'k2'], 'the same key each time: sent once');
  await until(() => client.pending === 0);
  t.equal(client.pending, 0, 'nothing left waiting');
});

t.test('an email refused as invalid is not tried again', async (t) => {
  const service = notification([new AppError('VALIDATION_FAILED', 400, 'bad')]);
  const client = new EmailClient(service, logger, [10]);
  await client.send(email('k3'));
  t.equal(client.pending, 0);
  await new Promise((resolve) => setTimeout(resolve, 30));
  t.same(service.tries, ['k3']);
});

t.test('the tries stop after the last wait', async (t) => {
  const away = new DependencyError('notification', 'away');
  const service = notification([away, away, away, away]);
  const client = new EmailClient(service, logger, [10, 10]);
  await client.send(email('k4'));
  // Waited for, not timed: a busy machine may run the two 10 ms waits late.
  await until(() => service.tries.length >= 3 && client.pending === 0);
  // Then a while longer, for a try that should not come.
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.same(service.tries, ['k4', 'k4', 'k4'], 'the first try and one per wait');
  t.equal(client.pending, 0);
});

t.test('closing gives each waiting email one last try', async (t) => {
  const service = notification([new DependencyError('notification', 'away')]);
  const client = new EmailClient(service, logger, [60_000]);
  await client.send(email('k5'));
  t.equal(client.pending, 1);
  await client.close();
  t.same(service.tries, ['k5', 'k5']);
  t.equal(client.pending, 0);
});
