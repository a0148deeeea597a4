import t from 'tap';
import { chatApi, registerUsers } from '../support/chat';
import { startTestStack } from '../support/stack';
import type { RegisteredUser } from '../support/users';

interface ListPage {
  items: { id: string; lastActivity: string }[];
  nextBefore: string | null;
}

// Paging through the conversation list with nextBefore must reach every conversation.
t.test('conversation list pages', async (t) => {
  const env = await startTestStack(t);
  const gateway = `http://127.0.0.1:${env.stack.ports.apps.gateway.app}`;

  await t.test('conversations active in the same millisecond are all listed', async (t) => {
    const [ada] = (await registerUsers(gateway, 1)) as [RegisteredUser];
    const asAda = chatApi(gateway, ada.accessToken);

    // Groups made or written to at once share a last activity now and then (sends are written in
    // batches); make them until two do. Each round has its own sender, for the send budget.
    let all: ListPage['items'] = [];
    for (let round = 0; round < 5; round++) {
      const [sender] = (await registerUsers(gateway, 1)) as [RegisteredUser];
      const asSender = chatApi(gateway, sender.accessToken);
      const made = await Promise.all(
        Array.from({ length: 20 }, (_, i) => asSender.group(`page ${round}.${i}`, [ada.userId])),
      );
      t.same(new Set(made.map((m) => m.status)), new Set([201]));
      await Promise.all(made.map((m) => asSender.send(m.body.id, 'hello')));
      all = (await asAda.call<ListPage>('/conversations?limit=100')).body.items;
      if (new Set(all.map((c) => c.lastActivity)).size < all.length) break;
    }
    t.ok(
      new Set(all.map((c) => c.lastActivity)).size < all.length,
      'some conversations share a last activity',
    );

    const listed: string[] = [];
    let before: string | null = null;
    for (let pages = 0; pages <= all.length; pages++) {
      const query: string = before ? `&before=${encodeURIComponent(before)}` : '';
      const page: ListPage = (await asAda.call<ListPage>(`/conversations?limit=1${query}`)).body;
      listed.push(...page.items.map((c) => c.id));
      before = page.nextBefore;
      if (!before) break;
    }
    const missing = all.filter((c) => !listed.includes(c.id)).map((c) => c.id);
    t.same(missing, [], 'pages of one conversation each reach every conversation');
    t.equal(new Set(listed).size, listed.length, 'and none twice');
  });
});
