import t from 'tap';
import type { Conversation, PublicUser } from '../src/api/types';
import { conversationTitle } from '../src/chat/names';

const direct = (memberIds: string[]): Conversation => ({
  id: 'c_000000000000000000000001',
  type: 'direct',
  name: null,
  topic: null,
  avatarMediaId: null,
  lastSeq: 3,
  lastActivity: new Date(0).toISOString(),
  lastMessage: null,
  me: { role: 'member', muted: false, archived: false, readSeq: 0, deliveredSeq: 0 },
  members: memberIds.map((userId) => ({ userId, role: 'member' })),
});

const users = new Map([['u_bob', { id: 'u_bob', displayName: 'Bob' } as PublicUser]]);

t.test('a direct conversation is titled by the other person', async (t) => {
  t.equal(conversationTitle(direct(['u_ada', 'u_bob']), users, 'u_ada'), 'Bob');
});

t.test('a direct conversation whose other person deleted their account says so', async (t) => {
  t.equal(conversationTitle(direct(['u_ada']), users, 'u_ada'), 'Deleted account');
});
