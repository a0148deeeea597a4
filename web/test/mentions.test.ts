import t from 'tap';
import type { PublicUser } from '../src/api/types';
import { mentionedMembers, namedIn } from '../src/chat/mentions';

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
