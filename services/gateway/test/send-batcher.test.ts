import { AppError, DependencyError } from '@parley/service-kit';
import t from 'tap';
import { QUEUE_FULL_RETRY_MS, SendBatcher } from '../src/realtime/send-batcher';

interface Entry {
  userId: string;
  conversationId: string;
  message: { text: string };
}

/**
 * A sidecar whose chat answers each batch when the test lets it: every request is recorded with
 * its sends, and `answer` settles the oldest one, each send as `outcome` says.
 */
function chatThroughSidecar() {
  const requests: { sends: Entry[]; settle: (answer: unknown, failure?: unknown) => void }[] = [];
  const lone: { method: string; body: unknown }[] = [];
  const sidecar = {
    invokeOk<T>(appId: string, method: string, init: { body?: unknown } = {}): Promise<T> {
      if (appId === 'chat' && method.endsWith('/messages')) {
        lone.push({ method, body: init.body });
        return Promise.resolve({ text: (init.body as { text: string }).text, seq: 99 } as T);
      }
      if (appId !== 'chat' || method !== 'internal/v1/message-sends') throw new Error(`unexpected ${method}`);
      return new Promise<T>((resolve, reject) => {
        requests.push({
          sends: (init.body as { sends: Entry[] }).sends,
          settle: (answer, failure) => (failure ? reject(failure) : resolve(answer as T)),
        });
      });
    },
  };
  const stored = (send: Entry, seq: number) => ({
    status: 201,
    message: { conversationId: send.conversationId, text: send.message.text, seq },
  });
  let seq = 0;
  const answerNext = async (outcome: (send: Entry) => unknown = (send) => stored(send, ++seq)) => {
    await eventuallyRequested(requests, 1);
    const request = requests.shift()!;
    request.settle({ results: request.sends.map(outcome) });
  };
  return { sidecar, requests, answerNext, lone };
}

/** Lets the batcher's next turn run, then checks that `count` requests are waiting. */
async function eventuallyRequested(requests: unknown[], count: number): Promise<void> {
  for (let i = 0; i < 10 && requests.length < count; i++) await new Promise((r) => setImmediate(r));
  if (requests.length < count) throw new Error(`expected ${count} requests, saw ${requests.length}`);
}

const msg = (text: string) => ({ text });

t.test('a lone send leaves at once, alone', async (t) => {
  const chat = chatThroughSidecar();
  const batcher = new SendBatcher(chat.sidecar);
  const sent = batcher.send('u1', 'c1', msg('hi'));
  await eventuallyRequested(chat.requests, 1);
  t.same(chat.requests[0]?.sends, [{ userId: 'u1', conversationId: 'c1', message: { text: 'hi' } }]);
  await chat.answerNext();
  t.match(await sent, { text: 'hi', seq: 1 });
});

t.test('sends made while requests are out wait, then leave together', async (t) => {
  const chat = chatThroughSidecar();
  const batcher = new SendBatcher(chat.sidecar, { concurrency: 2 });
  const first = [batcher.send('u1', 'c1', msg('a'))];
  await eventuallyRequested(chat.requests, 1);
  first.push(batcher.send('u1', 'c1', msg('b')));
  await eventuallyRequested(chat.requests, 2);
  const waiting = ['c', 'd', 'e', 'f'].map((text) => batcher.send('u2', 'c2', msg(text)));
  await new Promise((r) => setImmediate(r));
  t.equal(chat.requests.length, 2, 'no third request while two are out');

  await chat.answerNext();
  await eventuallyRequested(chat.requests, 2);
  t.same(
    chat.requests[1]?.sends.map((s) => s.message.text),
    ['c', 'd', 'e', 'f'],
    'those that waited leave in one request',
  );
  await chat.answerNext();
  await chat.answerNext();
  t.same(
    (await Promise.all([...first, ...waiting])).map((m) => m.text),
    ['a', 'b', 'c', 'd', 'e', 'f'],
  );
});

t.test('each send of a batch settles on its own, as a lone request would', async (t) => {
  const chat = chatThroughSidecar();
  const batcher = new SendBatcher(chat.sidecar);
  const sends = ['ok', 'refused', 'fault'].map((text) => batcher.send('u1', 'c1', msg(text)));
  await chat.answerNext((send) =>
    send.message.text === 'ok'
      ? { status: 200, message: { text: 'ok', seq: 7 } }
      : send.message.text === 'refused'
        ? { status: 404, code: 'CHAT_CONVERSATION_NOT_FOUND', detail: 'No such conversation.' }
        : { status: 500, code: 'INTERNAL', detail: 'secret stack trace' },
  );
  const [ok, refused, fault] = await Promise.allSettled(sends);
  t.match(ok, { status: 'fulfilled', value: { text: 'ok', seq: 7 } }, 'a duplicate answers its message');
  const refusal = (refused as PromiseRejectedResult).reason as AppError;
  t.ok(refusal instanceof AppError);
  t.match(refusal, { code: 'CHAT_CONVERSATION_NOT_FOUND', status: 404, message: 'No such conversation.' });
  const failure = (fault as PromiseRejectedResult).reason as AppError;
  t.match(failure, { code: 'INTERNAL', status: 502, message: 'chat answered 500' }, 'a fault stays vague');
});

t.test('a request that fails as a whole fails each of its sends', async (t) => {
  const chat = chatThroughSidecar();
  const batcher = new SendBatcher(chat.sidecar);
  const sends = ['a', 'b'].map((text) => batcher.send('u1', 'c1', msg(text)));
  await eventuallyRequested(chat.requests, 1);
  const away = new DependencyError('chat', 'The chat service cannot be reached right now.');
  chat.requests.shift()!.settle(undefined, away);
  for (const result of await Promise.allSettled(sends)) t.match(result, { status: 'rejected', reason: away });

  const next = batcher.send('u1', 'c1', msg('c'));
  await eventuallyRequested(chat.requests, 1);
  chat.requests.shift()!.settle({ results: [] });
  await t.rejects(next, { code: 'UPSTREAM_FAILED' }, 'an answer of the wrong length fails the sends');
});

t.test('a request carries at most maxSends sends and maxBytes bytes; a big send goes alone', async (t) => {
  const chat = chatThroughSidecar();
  const batcher = new SendBatcher(chat.sidecar, { concurrency: 1, maxSends: 3, maxBytes: 300 });
  const all = [
    ...['1', '2', '3', '4'].map((text) => batcher.send('u1', 'c1', msg(text))),
    batcher.send('u1', 'c1', msg('x'.repeat(400))),
    batcher.send('u1', 'c1', msg('5')),
  ];
  const sizes: number[] = [];
  for (let i = 0; i < 4; i++) {
    await eventuallyRequested(chat.requests, 1);
    sizes.push(chat.requests[0]!.sends.length);
    await chat.answerNext();
  }
  t.same(sizes, [3, 1, 1, 1], 'three, then one within bytes, then the big one alone, then the last');
  t.equal((await Promise.all(all)).length, 6);
});

t.test('a send chat was still storing is asked for alone, and answered by that', async (t) => {
  const chat = chatThroughSidecar();
  const batcher = new SendBatcher(chat.sidecar);
  const sends = ['quick', 'slow'].map((text) => batcher.send('u 1', 'c_1', msg(text)));
  await chat.answerNext((send) =>
    send.message.text === 'quick'
      ? { status: 201, message: { text: 'quick', seq: 1 } }
      : { status: 202, code: 'CHAT_SEND_PENDING', detail: 'still storing' },
  );
  t.match(await sends[0], { text: 'quick', seq: 1 });
  t.match(await sends[1], { text: 'slow', seq: 99 }, 'the lone answer settles it');
  t.same(chat.lone, [
    { method: 'internal/v1/users/u%201/conversations/c_1/messages', body: { text: 'slow' } },
  ]);
});

t.test('a send beyond maxQueued held sends is refused at once, and never reaches chat', async (t) => {
  const chat = chatThroughSidecar();
  const batcher = new SendBatcher(chat.sidecar, { concurrency: 1, maxQueued: 3, maxWaitMs: 60_000 });
  const first = batcher.send('u1', 'c1', msg('out'));
  await eventuallyRequested(chat.requests, 1);
  const waiting = ['a', 'b'].map((text) => batcher.send('u2', 'c1', msg(text)));

  const refused = batcher.send('u3', 'c1', msg('over'));
  await t.rejects(refused, {
    code: 'REALTIME_SEND_QUEUE_FULL',
    status: 503,
    context: { retryAfterMs: QUEUE_FULL_RETRY_MS },
  });
  t.equal(chat.requests.length, 1, 'refused without waiting for chat');

  // One answered makes room for one more.
  await chat.answerNext();
  await eventuallyRequested(chat.requests, 1);
  t.same(
    chat.requests[0]?.sends.map((s) => s.message.text),
    ['a', 'b'],
    'the waiting sends leave; the refused one is not among them',
  );
  const later = batcher.send('u3', 'c1', msg('later'));
  t.equal(chat.requests[0]?.sends.length, 2);
  await chat.answerNext();
  await chat.answerNext();
  t.match(await first, { text: 'out' });
  t.match(await Promise.all(waiting), [{ text: 'a' }, { text: 'b' }]);
  t.match(await later, { text: 'later' }, 'once the queue drains, sends are taken again');
});
