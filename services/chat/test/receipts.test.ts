import type { ChatReceiptEvent } from '@parley/contracts';
import type { CommandStartedEvent } from 'mongodb';
import t from 'tap';
import type { ChatEvents } from '../src/events';
import type { Messages } from '../src/messages/service';
import { Receipts } from '../src/receipts/service';
import { memberKey, openStore } from '../src/store';
import { connect, groupDoc, memberDoc, startFerretDb } from './ferretdb';

const CONVERSATION = 'c_00000000000000000000000e';

t.test('receipts move cursors forward by _id alone, and say so once per move', async (t) => {
  const client = await connect(t, await startFerretDb(t));
  const commands: CommandStartedEvent[] = [];
  client.on('commandStarted', (event) => commands.push(event));
  const store = await openStore(client.db('parley_chat_test'));
  await store.conversations.insertOne({ ...groupDoc(CONVERSATION, 'u_ada'), lastSeq: 10 });
  // Many memberships before bob's: a filter the dev store cannot look up by _id reads them all.
  await store.members.insertMany(Array.from({ length: 300 }, (_, i) => memberDoc(CONVERSATION, `u_${i}`)));
  await store.members.insertOne(memberDoc(CONVERSATION, 'u_bob'));
  const announced: ChatReceiptEvent[] = [];
  const events = { receipt: async (e: ChatReceiptEvent) => void announced.push(e) } as unknown as ChatEvents;
  const receipts = new Receipts({ store, events, messages: {} as Messages });

  const from = commands.length;
  t.same(await receipts.mark('u_bob', CONVERSATION, 'delivered', 4, 'phone'), { kind: 'delivered', seq: 4 });
  t.same(await receipts.mark('u_bob', CONVERSATION, 'read', 3, 'phone'), { kind: 'read', seq: 3 });
  t.same(
    await receipts.mark('u_bob', CONVERSATION, 'read', 2, 'phone'),
    { kind: 'read', seq: 3 },
    'never back',
  );
  t.same(
    await receipts.mark('u_bob', CONVERSATION, 'read', 99, 'phone'),
    { kind: 'read', seq: 10 },
    'capped',
  );
  const filters = commands
    .slice(from)
    .filter((c) => c.command.findAndModify === 'members' || c.command.update === 'members')
    .flatMap((c) =>
      c.commandName === 'update'
        ? (c.command.updates as { q: object }[]).map((u) => u.q)
        : [c.command.query as object],
    );
  t.ok(filters.length >= 3);
  t.same(
    filters.filter((f) => Object.keys(f).join() !== '_id'),
    [],
    'memberships written by _id alone',
  );
  t.same(
    announced.map(({ kind, seq }) => `${kind} ${seq}`),
    ['delivered 4', 'read 3', 'delivered 4', 'read 10', 'delivered 10'],
    'a move announces the cursor; a receipt that moves nothing announces nothing',
  );
  const bob = await store.members.findOne({ _id: memberKey(CONVERSATION, 'u_bob') });
  t.match(bob, { readSeq: 10, deliveredSeq: 10, devices: { phone: 4 } });
});
