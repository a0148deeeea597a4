import { RequestAbandonedError } from '@parley/service-kit';
import t from 'tap';
import type { Directory } from '../src/auth-client';
import { newMember } from '../src/conversations/service';
import type { ChatEvents } from '../src/events';
import type { MediaCatalog } from '../src/media/media-client';
import { Messages } from '../src/messages/service';
import { openStore } from '../src/store';
import { connect, groupDoc, startFerretDb, unrememberedMemberships } from './ferretdb';

const directory: Directory = {
  requireUser: async () => {},
  blockedAmong: async () => new Set<string>(),
};

t.test('resends of one send, on FerretDB', async (t) => {
  const url = await startFerretDb(t);
  const store = await openStore((await connect(t, url)).db('parley_chat_resends_test'));
  const published: string[] = [];
  const events = {
    message: async (_topic: string, data: { message: { id: string } }) => {
      published.push(data.message.id);
    },
  } as unknown as ChatEvents;
  // Each send waits at the media check (before its insert) until the gate opens.
  let gate: Promise<void> = Promise.resolve();
  const media: MediaCatalog = {
    claim: async () => {
      await gate;
      return [];
    },
  };
  const messages = new Messages({
    store,
    memberships: unrememberedMemberships(store),
    directory,
    events,
    media,
  });
  let next = 0;
  const group = async () => {
    const _id = `c_${String(++next).padStart(24, '0')}`;
    await store.conversations.insertOne(groupDoc(_id, 'alice'));
    await store.members.insertOne(newMember(_id, 'alice', 'owner', new Date()));
    return _id;
  };
  const closedGate = () => {
    let open!: () => void;
    gate = new Promise((resolve) => (open = resolve));
    return open;
  };
  const body = { clientMessageId: 'resent-0000', text: 'hello' };

  await t.test('resends while the send is under way wait for it: one message, one event', async (t) => {
    const conversation = await group();
    published.length = 0;
    const open = closedGate();
    const sends = Array.from({ length: 5 }, () => messages.send('alice', conversation, body));
    open();
    const results = await Promise.all(sends);
    t.same(new Set(results.map((r) => r.message.id)).size, 1, 'every caller gets the same message');
    t.same(
      results.map((r) => r.duplicate),
      [false, true, true, true, true],
    );
    t.equal(published.length, 1, 'its event went out once');
    t.equal(await store.messages.countDocuments({ conversationId: conversation }), 1);
  });

  await t.test('a resend after the send finished answers the message without a new event', async (t) => {
    const conversation = await group();
    published.length = 0;
    const first = await messages.send('alice', conversation, body);
    const again = await messages.send('alice', conversation, body);
    t.equal(again.message.id, first.message.id);
    t.equal(again.duplicate, true);
    t.equal(published.length, 1);
  });

  await t.test('a send goes on while any of its callers still waits', async (t) => {
    const conversation = await group();
    const open = closedGate();
    const first = new AbortController();
    const resend = new AbortController();
    const sends = [
      messages.send('alice', conversation, body, first.signal).catch((err: Error) => err),
      messages.send('alice', conversation, body, resend.signal),
    ];
    first.abort(new RequestAbandonedError());
    open();
    const [, stored] = await Promise.all(sends);
    t.match(stored, { duplicate: true, message: { seq: 1 } });
    t.equal(await store.messages.countDocuments({ conversationId: conversation }), 1);
  });

  await t.test('a resend whose caller gave up stops waiting while the send goes on', async (t) => {
    const conversation = await group();
    const open = closedGate();
    // The first caller never gives up (a batch answered "pending" keeps its send going).
    const first = messages.send('alice', conversation, body);
    const resend = new AbortController();
    const waiting = messages.send('alice', conversation, body, resend.signal);
    resend.abort(new RequestAbandonedError());
    // Settled while the send is still held before its insert: the resend's request is let go
    // rather than held until the send is stored.
    const outcome = await Promise.race([
      waiting.then(
        () => 'answered',
        (err: Error) => err,
      ),
      new Promise((resolve) => setTimeout(() => resolve('still waiting'), 1_000)),
    ]);
    t.match(outcome, { code: 'REQUEST_ABANDONED' });
    open();
    t.match(await first, { duplicate: false, message: { seq: 1 } });
    t.equal(await store.messages.countDocuments({ conversationId: conversation }), 1);
  });

  await t.test('a send whose callers all gave up stops before its insert', async (t) => {
    const conversation = await group();
    const open = closedGate();
    const callers = [new AbortController(), new AbortController()];
    const sends = callers.map((c) =>
      messages.send('alice', conversation, body, c.signal).catch((e: Error) => e),
    );
    for (const c of callers) c.abort(new RequestAbandonedError());
    open();
    for (const outcome of await Promise.all(sends)) t.match(outcome, { code: 'REQUEST_ABANDONED' });
    t.equal(await store.messages.countDocuments({ conversationId: conversation }), 0);
    // A later resend is a fresh send.
    t.match(await messages.send('alice', conversation, body), { duplicate: false, message: { seq: 1 } });
  });
});
