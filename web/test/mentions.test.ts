import t from 'tap';
import type { PublicUser } from '../src/api/types';
import { mentionedMembers, mentionsOf, namedIn } from '../src/chat/mentions';

const member = (id: string, username: string) => ({ id, username, displayName: username }) as PublicUser;

t.test('names called with @, but not inside an email address', async (t) => {
  t.same([...namedIn('hi @Ann and @bob.smith, mail ann@example.com or @@x')], ['ann', 'bob.smith']);
  t.same([...namedIn('no one here')], []);
});

t.test('the members a text mentions, by username', async (t) => {
  const members = [member('u1', 'ann'), member('u2', 'bob'), member('u3', 'cy')];
  t.same(mentionedMembers('@bob and @ANN, not @dan', members), ['u1', 'u2']);
  t.same(mentionedMembers('nobody', members), []);
});

t.test('what a send or an edit mentions: everyone only in a group', async (t) => {
  const members = [member('u1', 'ann'), member('u2', 'bob')];
  t.same(mentionsOf('@everyone and @bob', members, true), { mentions: ['u2'], mentionsEveryone: true });
  t.same(mentionsOf('@Everyone, look', members, true), { mentions: [], mentionsEveryone: true });
  t.same(mentionsOf('@everyone and @bob', members, false), { mentions: ['u2'], mentionsEveryone: false });
  t.same(
    mentionsOf('not for all, mail everyone@example.com', members, true),
    { mentions: [], mentionsEveryone: false },
    'a text that no longer names everyone clears it',
  );
});
