import t from 'tap';
import { BatchedPublisher } from '../src/index';

/** A sidecar whose bulk publishes the test answers one by one, oldest first. */
function sidecarAnsweringOnRequest() {
  const calls: {
    topic: string;
    events: { data: object; eventId: string }[];
    answer: (refused?: number[], failure?: unknown) => void;
  }[] = [];
  const sidecar = {
    publishBulk(topic: string, events: { data: object; eventId: string }[]): Promise<Set<number>> {
      return new Promise((resolve, reject) => {
        calls.push({
          topic,
          events,
          answer: (refused = [], failure) => (failure ? reject(failure) : resolve(new Set(refused))),
        });
      });
    },
  };
  return { sidecar, calls };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

/** Lets a few turns of the event loop pass, until `done` holds. */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 20 && !done(); i++) await turn();
}

t.test('events published in one turn leave in one call per topic', async (t) => {
  const { sidecar, calls } = sidecarAnsweringOnRequest();
  const publisher = new BatchedPublisher(sidecar);
  const done = [
    publisher.publish('a', { n: 1 }, 'e1'),
    publisher.publish('b', { n: 2 }, 'e2'),
    publisher.publish('a', { n: 3 }, 'e3'),
  ];
  await turn();
  t.same(
    calls.map((c) => [c.topic, c.events.map((e) => e.eventId)]),
    [
      ['a', ['e1', 'e3']],
      ['b', ['e2']],
    ],
  );
  for (const call of calls) call.answer();
  await Promise.all(done);
});

t.test('events published while two calls are out wait, then leave together', async (t) => {
  const { sidecar, calls } = sidecarAnsweringOnRequest();
  const publisher = new BatchedPublisher(sidecar, { concurrency: 2, maxEvents: 3 });
  const first = publisher.publish('a', {}, 'e1');
  await turn();
  const second = publisher.publish('a', {}, 'e2');
  await turn();
  const waiting = ['e3', 'e4', 'e5', 'e6'].map((id) => publisher.publish('a', {}, id));
  await turn();
  t.equal(calls.length, 2, 'no third call while two are out');
  calls[0]!.answer();
  await first;
  await until(() => calls.length === 3);
  t.same(
    calls[2]?.events.map((e) => e.eventId),
    ['e3', 'e4', 'e5'],
    'those that waited leave together, up to maxEvents',
  );
  calls[1]!.answer();
  calls[2]!.answer();
  await until(() => calls.length === 4);
  t.same(
    calls[3]?.events.map((e) => e.eventId),
    ['e6'],
  );
  calls[3]!.answer();
  await Promise.all([second, ...waiting]);
});

t.test('an event the broker refused fails alone; a refused call fails each event', async (t) => {
  const { sidecar, calls } = sidecarAnsweringOnRequest();
  const publisher = new BatchedPublisher(sidecar);
  const results = Promise.allSettled(['e1', 'e2', 'e3'].map((id) => publisher.publish('a', {}, id)));
  await turn();
  calls[0]!.answer([1]);
  t.same(
    (await results).map((r) => r.status),
    ['fulfilled', 'rejected', 'fulfilled'],
  );

  const away = new Error('sidecar away');
  const all = Promise.allSettled(['e4', 'e4'].map((id) => publisher.publish('a', {}, id)));
  await turn();
  t.same(
    calls[1]?.events.map((e) => e.eventId),
    ['e4', 'e4'],
    'the same id twice is passed on as it came',
  );
  calls[1]!.answer([], away);
  for (const result of await all) t.match(result, { status: 'rejected', reason: away });
});
