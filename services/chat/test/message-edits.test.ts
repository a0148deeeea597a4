import { type ChatMessageEvent, messageIdFor } from '@parley/contracts';
import t from 'tap';
import type { ChatEvents } from '../src/events';
import { MAX_EDITS_KEPT } from '../src/messages/limits';
import { editMessageBody } from '../src/messages/schemas';
import { type MessageDeps, Messages } from '../src/messages/service';
import { openStore } from '../src/store';
import { connect, groupDoc, memberDoc, startFerretDb, storedMessage } from './ferretdb';

const CONVERSATION = 'c_00000000000000000000000e';

t.test('an edit body may set or clear mentionsEveryone, and nothing but a boolean', async (t) => {
  t.match(editMessageBody.parse({ text: '@everyone look', mentionsEveryone: true }), {
    mentionsEveryone: true,
  });
  t.match(editMessageBody.parse({ text: 'look', mentionsEveryone: false }), { mentionsEveryone: false });
  t.equal(editMessageBody.parse({ text: 'look' }).mentionsEveryone, undefined, 'optional');
  t.notOk(editMessageBody.safeParse({ text: 'x', mentionsEveryone: 'yes' }).success, 'a string');
  t.notOk(editMessageBody.safeParse({ text: 'x', mentionsEveryone: null }).success, 'null');
});

t.test('an edit sets, keeps and clears mentionsEveryone, and its event carries it', async (t) => {
  const client = await connect(t, await startFerretDb(t));
  const store = await openStore(client.db('parley_chat_edit_test'));
  await store.conversations.insertOne(groupDoc(CONVERSATION, 'u_ada'));
  await store.members.insertMany([memberDoc(CONVERSATION, 'u_ada'), memberDoc(CONVERSATION, 'u_bob')]);
  await store.messages.insertOne(storedMessage(CONVERSATION, 1));
  const announced: ChatMessageEvent[] = [];
  const events = {
    message: async (_topic: string, event: ChatMessageEvent) => void announced.push(event),
  } as unknown as ChatEvents;
  const messages = new Messages({ store, events } as unknown as MessageDeps);
  const id = messageIdFor(CONVERSATION, 1);
  const stored = async () => (await store.messages.findOne({ _id: id }))?.mentionsEveryone;

  const on = await messages.edit('u_ada', id, { text: '@everyone look', mentionsEveryone: true });
  t.equal(on.mentionsEveryone, true, 'the edited message mentions everyone');
  t.equal(await stored(), true, 'stored');
  t.equal(announced.at(-1)?.message.mentionsEveryone, true, 'the edited event carries it');

  const kept = await messages.edit('u_ada', id, { text: '@everyone look again', mentions: ['u_bob'] });
  t.match(kept, { mentionsEveryone: true, mentions: ['u_bob'] }, 'left out, it stays as it was');

  const off = await messages.edit('u_ada', id, { text: 'only @bob', mentionsEveryone: false });
  t.match(off, { mentionsEveryone: false, mentions: ['u_bob'] }, 'cleared, the mentions kept');
  t.equal(await stored(), false);
  t.equal(announced.at(-1)?.message.mentionsEveryone, false);
  t.equal(announced.length, 3, 'each edit announced once');
});

t.test('the edit history keeps only the most recent edits, also when edits race', async (t) => {
  const client = await connect(t, await startFerretDb(t));
  const store = await openStore(client.db('parley_chat_edit_history_test'));
  await store.conversations.insertOne(groupDoc(CONVERSATION, 'u_ada'));
  await store.members.insertOne(memberDoc(CONVERSATION, 'u_ada'));
  await store.messages.insertOne(storedMessage(CONVERSATION, 1));
  const events = { message: async () => {} } as unknown as ChatEvents;
  const messages = new Messages({ store, events } as unknown as MessageDeps);
  const id = messageIdFor(CONVERSATION, 1);

  const edits = MAX_EDITS_KEPT + 5;
  for (let i = 1; i <= edits; i++) await messages.edit('u_ada', id, { text: `edit ${i}` });
  const read = await messages.get('u_ada', id);
  t.equal(read.text, `edit ${edits}`);
  t.same(
    read.edits.map((e) => e.text),
    Array.from({ length: MAX_EDITS_KEPT }, (_, i) => `edit ${edits - MAX_EDITS_KEPT + i}`),
    'the texts replaced by the latest edits, oldest first; older ones are dropped',
  );

  // Edits racing each read the message: those that meet it changed are told to try again, and the
  // history neither loses a text replaced nor grows past the limit.
  const racing = await Promise.allSettled(
    Array.from({ length: 6 }, (_, i) => messages.edit('u_ada', id, { text: `racing ${i}` })),
  );
  const written = racing
    .flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []))
    .sort((a, b) => a.version - b.version)
    .map((m) => m.text);
  t.ok(written.length >= 1, 'a racing edit is written');
  for (const r of racing) {
    if (r.status === 'rejected') t.match(r.reason, { code: 'CHAT_MESSAGE_CHANGED' });
  }
  const after = await messages.get('u_ada', id);
  t.equal(after.text, written.at(-1));
  t.equal(after.edits.length, MAX_EDITS_KEPT, 'still no more than the limit');
  t.same(
    after.edits.slice(-written.length).map((e) => e.text),
    [`edit ${edits}`, ...written.slice(0, -1)],
    'each text a written edit replaced, in order',
  );
});
