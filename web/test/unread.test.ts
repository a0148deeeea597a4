import t from 'tap';
import type { Conversation } from '../src/api/types';
import { unreadAfterReading } from '../src/chat/unread';

const conversation = (lastSeq: number, me: Partial<Conversation['me']>): Conversation => ({
  id: 'c_000000000000000000000001',
  type: 'group',
  name: 'Team',
  topic: null,
  avatarMediaId: null,
  lastSeq,
  lastActivity: new Date(0).toISOString(),
  lastMessage: null,
  me: { role: 'member', muted: false, archived: false, readSeq: 0, deliveredSeq: 0, ...me },
});

t.test('reading counts what comes after the cursor', async (t) => {
  t.equal(unreadAfterReading(conversation(10, {}), 4), 6);
  t.equal(unreadAfterReading(conversation(10, {}), 10), 0);
});

t.test('what came before joining is never unread', async (t) => {
  t.equal(unreadAfterReading(conversation(10, { joinSeq: 8 }), 2), 2);
});

t.test('a member added back still has what they left unread when removed', async (t) => {
  // Read to 5, removed at 7, added back at 9, the tenth came since: the sixth, seventh and tenth.
  const back = conversation(10, { joinSeq: 9, leftSeq: 7 });
  t.equal(unreadAfterReading(back, 5), 3);
  t.equal(unreadAfterReading(back, 6), 2, 'reading one of those left unread leaves the other');
  t.equal(unreadAfterReading(back, 7), 1);
  t.equal(unreadAfterReading(back, 10), 0);
});

t.test('a member out and back twice counts only what came while they were in', async (t) => {
  // Read to 8; out at 10, back at 12; out at 13, back at 15; the 16th since: 9, 10, 13 and 16.
  const back = conversation(16, {
    joinSeq: 15,
    leftSeq: 13,
    absences: [
      { from: 10, to: 12 },
      { from: 13, to: 15 },
    ],
  });
  t.equal(unreadAfterReading(back, 8), 4);
  t.equal(unreadAfterReading(back, 9), 3);
  t.equal(unreadAfterReading(back, 11), 2, 'a cursor inside an absence');
  t.equal(unreadAfterReading(back, 13), 1);
  t.equal(unreadAfterReading(back, 16), 0);
});

t.test('a first membership of a late joiner counts nothing before the joining', async (t) => {
  t.equal(unreadAfterReading(conversation(10, { joinSeq: 7, absences: [{ from: 0, to: 7 }] }), 2), 3);
});
