import t from 'tap';
import { chatApi, registerUsers } from '../support/chat';
import { startTestStack } from '../support/stack';
import type { RegisteredUser } from '../support/users';

interface ListPage {
  items: { id: string; lastActivity: string }[];
  nextBefore: string | null;
}

/** Rounds of groups made at once, until two of the caller's conversations share a last activity. */
const MOST_ROUNDS = 5;
const GROUPS_PER_ROUND = 20;

// Following nextBefore through the conversation list, through the gateway, reaches every
// conversation once and in the order of the whole list.
t.test('conversation list pages', async (t) => {
  const env = await startTestStack(t);
  const gateway = `http://127.0.0.1:${env.stack.ports.apps.gateway.app}`;

  await t.test('conversations active in the same millisecond are all listed, once', async (t) => {
    const [ada] = (await registerUsers(gateway, 1)) as [RegisteredUser];
    const asAda = chatApi(gateway, ada.accessToken);

    // Groups made or written to at once share a last activity now and then (sends are written in
    // batches). Each round has its own sender, for the send budget.
    const sharesActivity = (items: ListPage['items']) =>
      new Set(items.map((c) => c.lastActivity)).size < items.length;
    let all: ListPage['items'] = [];
    for (let round = 0; round < MOST_ROUNDS && !sharesActivity(all); round++) {
      const [sender] = (await registerUsers(gateway, 1)) as [RegisteredUser];
      const asSender = chatApi(gateway, sender.accessToken);
      const made = await Promise.all(
        Array.from({ length: GROUPS_PER_ROUND }, (_, i) =>
          asSender.group(`page ${round}.${i}`, [ada.userId]),
        ),
      );
      t.same(new Set(made.map((m) => m.status)), new Set([201]));
      await Promise.all(made.map((m) => asSender.send(m.body.id, 'hello')));
      all = (await asAda.call<ListPage>('/conversations?limit=100')).body.items;
    }
    t.ok(sharesActivity(all), 'some conversations share a last activity');

    const listed: string[] = [];
    let before: string | null = null;
    for (let pages = 0; pages <= all.length; pages++) {
      const query: string = before ? `&before=${encodeURIComponent(before)}` : '';
      const page: ListPage = (await asAda.call<ListPage>(`/conversations?limit=1${query}`)).body;
      listed.push(...page.items.map((c) => c.id));
      before = page.nextBefore;
      if (!before) break;
    }
    t.same(
      listed,
      all.map((c) => c.id),
      'pages of one conversation each list every conversation once, in the order of one page',
    );
  });
});
