import t from 'tap';
import type { Conversation } from '../src/api/types';
import type { ConversationPage } from '../src/chat/conversation-pages';
import { ListReads, readListInto } from '../src/chat/list-reads';
import { ChatStore } from '../src/chat/store';

const group = (n: number, lastSeq: number): Conversation => ({
  id: `c_${String(n).padStart(24, '0')}`,
  type: 'group',
  name: `group ${n}`,
  topic: null,
  avatarMediaId: null,
  lastSeq,
  lastActivity: new Date(lastSeq * 1000).toISOString(),
  lastMessage: lastSeq ? { id: `m_${n}_${lastSeq}`, seq: lastSeq, senderId: 'u_bob', preview: 'hi' } : null,
  unreadCount: lastSeq,
  me: { role: 'member', muted: false, archived: false, readSeq: 0, deliveredSeq: 0 },
});

/**
 * A server with `count` groups listed two to a page, whose answers wait until `answer` is called,
 * so a test decides what each page holds by when it lets it go.
 */
function server(count: number) {
  const lastSeq = Array.from({ length: count }, () => 1);
  const waiting: (() => void)[] = [];
  const asked: (string | null)[] = [];
  const readPage = (before: string | null): Promise<ConversationPage> => {
    asked.push(before);
    return new Promise((resolve) =>
      waiting.push(() => {
        const start = before === null ? 0 : Number(before);
        const items = lastSeq.slice(start, start + 2).map((seq, i) => group(start + i, seq));
        const end = start + items.length;
        resolve({ items, nextBefore: end < count ? String(end) : null });
      }),
    );
  };
  const answer = async () => {
    while (waiting.length === 0) await new Promise((r) => setImmediate(r));
    waiting.shift()?.();
    await new Promise((r) => setImmediate(r));
  };
  return { lastSeq, asked, readPage, answer };
}

t.test(
  'a list read before the socket joined its rooms is brought up to date by the read after',
  async (t) => {
    const store = new ChatStore();
    const { lastSeq, asked, readPage, answer } = server(6);
    const reads = new ListReads((wanted) => readListInto(store, readPage, wanted).then(() => undefined));

    const first = reads.read();
    await answer(); // page 1 read while the socket was away
    lastSeq[0] = 2; // a message into group 0, published before the socket was in its room
    const second = reads.read(); // the socket connected
    await answer(); // the first read's page 2, in flight when the socket connected
    await answer(); // the second read, page 1
    await answer(); // the second read, page 2
    await answer(); // the second read, page 3
    await Promise.all([first, second]);

    t.equal(store.state.conversations.get(group(0, 0).id)?.lastSeq, 2, 'the message shows');
    t.equal(store.state.conversations.get(group(0, 0).id)?.unreadCount, 2);
    t.same(asked, [null, '2', null, '2', '4'], 'the older read stopped at the page it had asked for');
  },
);

t.test('every caller waits for the newest read to end', async (t) => {
  const order: string[] = [];
  const gates: (() => void)[] = [];
  const reads = new ListReads(async (wanted) => {
    const n = gates.length;
    await new Promise<void>((r) => gates.push(r));
    order.push(`read ${n} ${wanted() ? 'wanted' : 'stopped'}`);
  });

  const first = reads.read().then(() => order.push('first done'));
  const second = reads.read().then(() => order.push('second done'));
  gates[0]?.();
  await new Promise((r) => setImmediate(r));
  t.same(order, ['read 0 stopped'], 'the older read ending does not end its callers’ wait');
  gates[1]?.();
  await Promise.all([first, second]);
  t.same(order.slice(0, 2), ['read 0 stopped', 'read 1 wanted']);
  t.same(order.slice(2).sort(), ['first done', 'second done'], 'both waits end after the newest read');
});

t.test('a failed read fails only while it is the newest', async (t) => {
  let calls = 0;
  const reads = new ListReads(async () => {
    calls++;
    if (calls === 1) throw new Error('network away');
  });
  await t.rejects(reads.read(), { message: 'network away' });
  await t.resolves(reads.read());

  let gate: () => void = () => undefined;
  const racing = new ListReads(async (wanted) => {
    await new Promise<void>((r) => (gate = r));
    if (!wanted()) throw new Error('stale read failed');
  });
  const older = racing.read();
  const olderGate = gate;
  const newer = racing.read();
  olderGate();
  gate();
  await t.resolves(older, 'the newer read answers for it');
  await t.resolves(newer);
});
