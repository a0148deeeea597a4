import type { CommandStartedEvent, Document } from 'mongodb';
import t, { type Test } from 'tap';
import type { InviteDirectory } from '../src/invites/invite-directory';
import { InviteError } from '../src/invites/invite-errors';
import type { InviteWorkflows } from '../src/invites/invite-workflows';
import { inviteStore, invitesOver } from './invite-fixtures';

const GROUP = `c_${'a'.repeat(24)}`;
const ADMIN = 'u_ada';
const OTHER = 'u_bea';

/** A group GROUP with its owner ADMIN and an admin OTHER; no address belongs to an account. */
const directory: InviteDirectory = {
  admission: async (conversationId, userId) => ({
    conversation: { id: conversationId, type: 'group', name: 'Crew', requiresApproval: false },
    role: userId === ADMIN ? 'owner' : userId === OTHER ? 'admin' : null,
  }),
  lookup: async () => null,
  displayName: async () => 'Ada',
  blocked: async () => false,
};

/** The invite service over a private store, counting the lifecycle workflows it starts. */
async function invitesFor(t: Test, maxOpenPerGroup = 200, accounts: InviteDirectory = directory) {
  const { client, store } = await inviteStore(t, 'parley_invite_creation_test');
  const started: string[] = [];
  const workflows = {
    start: async (input: { inviteId: string }) => {
      started.push(input.inviteId);
    },
  } as unknown as InviteWorkflows;
  const invites = invitesOver(store, { directory: accounts, workflows, maxOpenPerGroup });
  return { client, store, invites, started };
}

const byEmail = (email: string) => ({ conversationId: GROUP, email });

t.test('the same request made twice answers one invite as made, and starts one workflow', async (t) => {
  const { store, invites, started } = await invitesFor(t);

  const first = await invites.create(ADMIN, byEmail('kim@example.test'), 'req-1');
  const again = await invites.create(ADMIN, byEmail('kim@example.test'), 'req-1');
  t.equal(first.created, true, 'the first try makes it');
  t.equal(again.created, true, 'a retry of the same request gets the same answer: made');
  t.equal(again.view.id, first.view.id, 'the same invite');

  const other = await invites.create(ADMIN, byEmail('kim@example.test'), 'req-2');
  t.equal(other.created, false, 'another request finds the invite already open');
  t.equal(other.view.id, first.view.id);

  t.same(started, [first.view.id], 'one lifecycle workflow, so one email');
  t.equal(await store.invites.countDocuments({}), 1, 'one stored invite');
});

t.test('a retry racing its own first try gets the same invite, made once', async (t) => {
  const { store, invites, started } = await invitesFor(t);

  const answers = await Promise.all(
    ['req-a', 'req-a', 'req-a'].map((id) => invites.create(ADMIN, byEmail('lee@example.test'), id)),
  );
  t.same(
    answers.map((a) => a.created),
    [true, true, true],
    'every try of the request answers made',
  );
  t.equal(new Set(answers.map((a) => a.view.id)).size, 1, 'one invite');
  t.equal(started.length, 1, 'one workflow');
  t.equal(await store.invites.countDocuments({}), 1);
});

t.test('the same request id from another admin is another request', async (t) => {
  const { invites } = await invitesFor(t);
  const first = await invites.create(ADMIN, byEmail('max@example.test'), 'req-x');
  const borrowed = await invites.create(OTHER, byEmail('max@example.test'), 'req-x');
  const anonymous = await invites.create(ADMIN, byEmail('max@example.test'), null);
  t.equal(first.created, true);
  t.equal(borrowed.created, false, 'request ids come from clients: only the same sender repeats');
  t.equal(anonymous.created, false, 'without a request id it is a second request');
});

t.test('concurrent creations never hold more open invites than the limit', async (t) => {
  const limit = 5;
  const { store, invites, started } = await invitesFor(t, limit);

  const outcomes = await Promise.all(
    Array.from({ length: 24 }, (_, i) =>
      invites.create(ADMIN, byEmail(`p${i}@example.test`), `req-${i}`).then(
        (answer) => (answer.created ? 'created' : 'open'),
        (err: unknown) => (err instanceof InviteError ? err.code : String(err)),
      ),
    ),
  );
  t.equal(outcomes.filter((o) => o === 'created').length, limit, 'exactly the limit is made');
  t.equal(outcomes.filter((o) => o === 'INVITE_LIMIT_REACHED').length, 24 - limit, 'the rest refused');
  t.equal(await store.invites.countDocuments({ conversationId: GROUP }), limit, 'stored');
  t.equal(started.length, limit);

  // A closed invite gives its place back, once however often its closing is recorded.
  const closed = (await store.invites.findOne({ conversationId: GROUP }))!;
  const state = {
    inviteId: closed._id,
    status: 'revoked' as const,
    inviteeUserId: null,
    decidedBy: ADMIN,
    failureCode: null,
    remindedAt: null,
    version: 2,
    updatedAt: new Date().toISOString(),
  };
  await invites.record(state);
  await invites.record(state);
  const more = await Promise.allSettled(
    ['q1', 'q2'].map((n) => invites.create(ADMIN, byEmail(`${n}@example.test`), n)),
  );
  t.same(more.map((m) => m.status).sort(), ['fulfilled', 'rejected'], 'one place came free');
});

t.test('a creation that fails gives its place and slot back', async (t) => {
  const { store, invites } = await invitesFor(t, 1);
  const failing = invites as unknown as { deps: { workflows: { start: () => Promise<void> } } };
  const start = failing.deps.workflows.start;
  failing.deps.workflows.start = async () => {
    throw new Error('temporal is down');
  };
  await t.rejects(invites.create(ADMIN, byEmail('ned@example.test'), 'r1'), /temporal is down/);
  failing.deps.workflows.start = start;

  const made = await invites.create(ADMIN, byEmail('ned@example.test'), 'r2');
  t.equal(made.created, true, 'the slot and the one place are free again');
  t.equal(await store.invites.countDocuments({}), 1);
});

/** Filters a command carries on the invite collections, for the commands that filter. */
function filtersOf(event: CommandStartedEvent): { collection: string; filter: Document }[] {
  const c = event.command;
  const named = (collection: string, filters: Document[]) =>
    filters.map((filter) => ({ collection, filter }));
  switch (event.commandName) {
    case 'find':
      return named(c.find, [c.filter ?? {}]);
    case 'update':
      return named(
        c.update,
        c.updates.map((u: Document) => u.q),
      );
    case 'delete':
      return named(
        c.delete,
        c.deletes.map((d: Document) => d.q),
      );
    case 'findAndModify':
      return named(c.findAndModify, [c.query ?? {}]);
    case 'count':
    case 'aggregate':
      return named(c[event.commandName], [c.query ?? c.pipeline?.[0]?.$match ?? {}]);
    default:
      return [];
  }
}

t.test('a creation reads and writes the invite collections by _id alone', async (t) => {
  const { client, invites } = await invitesFor(t);
  // The group's first creation counts what was open before, once; the ones after are measured.
  await invites.create(ADMIN, byEmail('first@example.test'), 'r0');
  const seen: { collection: string; filter: Document }[] = [];
  client.on('commandStarted', (event) => seen.push(...filtersOf(event)));

  await invites.create(ADMIN, byEmail('olga@example.test'), 'r1');
  await invites.create(ADMIN, byEmail('olga@example.test'), 'r1');
  await invites.create(ADMIN, byEmail('olga@example.test'), 'r2');

  t.ok(seen.length > 0, 'the store is asked');
  t.same(
    seen
      .filter(({ filter }) => Object.keys(filter).length !== 1 || typeof filter._id !== 'string')
      .map(({ collection, filter }) => `${collection} ${JSON.stringify(filter)}`),
    [],
    'no filter but _id, which the dev store would answer by scanning',
  );
});

t.test('nobody invites a user who blocked them or whom they blocked, by any account of theirs', async (t) => {
  // Ann holds the username `ann` and two addresses, one proved; either of Ann and Ada blocks the other.
  const blocks = new Set(['u_ann:u_ada']);
  const addresses: Record<string, boolean> = { 'ann@example.test': false, 'ann@work.test': true };
  const ann = (verified: boolean) => ({ userId: 'u_ann', displayName: 'Ann', verified });
  const accounts: InviteDirectory = {
    ...directory,
    lookup: async (query) => {
      if ('username' in query) return query.username === 'ann' ? ann(true) : null;
      if ('email' in query) return query.email in addresses ? ann(addresses[query.email]!) : null;
      return ann(false);
    },
    blocked: async (userId, otherId) =>
      blocks.has(`${userId}:${otherId}`) || blocks.has(`${otherId}:${userId}`),
  };
  const { store, invites, started } = await invitesFor(t, 200, accounts);
  const targets = [
    { conversationId: GROUP, username: 'ann' },
    byEmail('ann@work.test'),
    byEmail('ann@example.test'),
  ];

  for (const target of targets) {
    await t.rejects(invites.create(ADMIN, target), { code: 'INVITE_USER_BLOCKED', status: 403, context: {} });
  }
  t.equal(await store.invites.countDocuments({}), 0, 'no invite is stored');
  t.same(started, [], 'no workflow starts, so no email goes out');

  blocks.clear();
  blocks.add('u_ada:u_ann');
  await t.rejects(invites.create(ADMIN, targets[2]!), { code: 'INVITE_USER_BLOCKED' }, 'the blocker neither');

  const phone = await invites
    .create(ADMIN, { conversationId: GROUP, phone: '+15550100' })
    .catch((err) => err);
  t.not(phone.code, 'INVITE_USER_BLOCKED', 'a phone number, which nobody proved, is not held against it');

  blocks.clear();
  const made = [];
  for (const target of targets) made.push((await invites.create(ADMIN, target)).view);
  t.same(
    made.map((v) => v.channel),
    ['in_app', 'in_app', 'email'],
    'once unblocked: in the app for the account, by email to the unproved address',
  );
});
