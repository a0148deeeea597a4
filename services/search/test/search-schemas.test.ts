import t from 'tap';
import { peopleSearchQuery } from '../src/messages/search-schemas';

t.test('a people query is one line of text', async (t) => {
  t.same(peopleSearchQuery.parse({ q: ' ada@example.test ' }), { q: 'ada@example.test', limit: 20 });
  t.notOk(peopleSearchQuery.safeParse({ q: 'ab\u0000' }).success, 'a NUL (the store refuses it)');
  t.notOk(peopleSearchQuery.safeParse({ q: 'a\nb' }).success, 'a line break');
  t.notOk(peopleSearchQuery.safeParse({ q: ['a', 'b'] }).success, 'a repeated parameter');
});
