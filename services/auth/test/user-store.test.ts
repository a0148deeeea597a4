import type { CommandStartedEvent } from 'mongodb';
import t from 'tap';
import { type NewUser, UserStore } from '../src/accounts/user-store';
import { privateDb } from './ferretdb';

const account = (username: string, email = `${username}@example.com`): NewUser => ({
  username,
  email,
  emailVerified: false,
  displayName: username,
  passwordHash: null,
});

/** Filters of the reads, updates and deletes sent since `from`, by collection. */
function filtersSince(commands: CommandStartedEvent[], from: number): { on: string; filter: object }[] {
  const filters: { on: string; filter: object }[] = [];
  for (const { commandName, command } of commands.slice(from)) {
    if (commandName === 'find')
      filters.push({ on: command.find as string, filter: command.filter as object });
    for (const u of (command.updates as { q: object }[] | undefined) ?? []) {
      filters.push({ on: command.update as string, filter: u.q });
    }
    for (const d of (command.deletes as { q: object }[] | undefined) ?? []) {
      filters.push({ on: command.delete as string, filter: d.q });
    }
  }
  return filters;
}

t.test('accounts are found by username and email through their keys', async (t) => {
  const { db, commands } = await privateDb(t);
  const users = new UserStore(db);
  await users.ensureIndexes();

  const from = commands.length;
  const ada = await users.create(account('ada'));
  t.equal((await users.findByLogin('ada'))?._id, ada._id, 'by username');
  t.equal((await users.findByLogin('ada@example.com'))?._id, ada._id, 'by email');
  t.equal((await users.findByEmail('ada@example.com'))?._id, ada._id);
  t.equal(await users.findByLogin('nobody'), null, 'an unknown username');
  t.equal(await users.findByLogin('nobody@example.com'), null, 'an unknown email');
  // The dev store answers a filter of `_id` alone without reading every document.
  const filters = filtersSince(commands, from);
  t.ok(filters.length > 0);
  t.same(
    filters.filter(({ filter }) => Object.keys(filter).join() !== '_id'),
    [],
    'registering and signing in filter by _id alone',
  );
});

t.test('a taken name is refused, and a refused registration holds nothing', async (t) => {
  const { db } = await privateDb(t);
  const users = new UserStore(db);
  await users.ensureIndexes();
  await users.create(account('grace'));
  await t.rejects(users.create(account('grace', 'other@example.com')), { code: 'ACCOUNT_USERNAME_TAKEN' });
  await t.rejects(users.create(account('hopper', 'grace@example.com')), { code: 'ACCOUNT_EMAIL_TAKEN' });
  const hopper = await users.create(account('hopper'));
  t.equal(
    (await users.findByLogin('hopper'))?._id,
    hopper._id,
    'the username refused with the email is free',
  );
});

t.test('of registrations racing for one username, one wins', async (t) => {
  const { db } = await privateDb(t);
  const users = new UserStore(db);
  await users.ensureIndexes();
  const outcomes = await Promise.allSettled(
    [1, 2, 3, 4, 5].map((n) => users.create(account('linus', `linus${n}@example.com`))),
  );
  const won = outcomes.filter((o) => o.status === 'fulfilled');
  t.equal(won.length, 1);
  for (const o of outcomes) {
    if (o.status === 'rejected') t.match(o.reason, { code: 'ACCOUNT_USERNAME_TAKEN' });
  }
  t.equal(await db.collection('users').countDocuments(), 1);
  t.equal(
    (await users.findByLogin('linus'))?._id,
    (won[0] as PromiseFulfilledResult<{ _id: string }>).value._id,
  );
});

t.test('accounts stored before keys get theirs at the first start, and only then', async (t) => {
  const { db, commands } = await privateDb(t);
  const old = new UserStore(db);
  const now = new Date();
  await old.users.insertMany(
    Array.from({ length: 1_200 }, (_, i) => ({
      _id: `u-${i}`,
      username: `old${i}`,
      email: `old${i}@example.com`,
      emailVerified: true,
      phone: null,
      displayName: `Old ${i}`,
      passwordHash: null,
      avatarMediaId: null,
      statusText: null,
      timeZone: null,
      language: null,
      roles: [],
      createdAt: now,
      updatedAt: now,
    })),
  );
  const users = new UserStore(db);
  await users.ensureIndexes();
  t.equal((await users.findByLogin('old1199'))?._id, 'u-1199');
  t.equal((await users.findByLogin('old0@example.com'))?._id, 'u-0');

  const from = commands.length;
  await new UserStore(db).ensureIndexes();
  t.same(
    filtersSince(commands, from).filter(({ on }) => on === 'users'),
    [],
    'a later start reads no account',
  );
});

t.test('a deleted account frees its names and leaves no key behind', async (t) => {
  const { db } = await privateDb(t);
  const users = new UserStore(db);
  await users.ensureIndexes();
  const gone = await users.create(account('margaret'));
  t.equal(await users.delete(gone._id), true);
  t.equal(await users.delete(gone._id), false, 'twice');
  t.equal(await users.findByLogin('margaret'), null);
  t.equal(await users.keys.countDocuments({ userId: gone._id }), 0, 'no key keeps the address');
  const again = await users.create(account('margaret'));
  t.equal((await users.findByLogin('margaret@example.com'))?._id, again._id, 'registered again at once');
});

t.test('a key left by a registration that stopped half-way', async (t) => {
  const { db } = await privateDb(t);
  const users = new UserStore(db);
  await users.ensureIndexes();
  await users.keys.insertOne({ _id: 'username:barbara', userId: 'never-stored', at: new Date() });
  await t.rejects(users.create(account('barbara')), { code: 'ACCOUNT_USERNAME_TAKEN' }, 'holds while recent');
  t.equal(await users.keys.countDocuments({ _id: 'email:barbara@example.com' }), 0, 'the email is not held');
  await users.keys.updateOne({ _id: 'username:barbara' }, { $set: { at: new Date(Date.now() - 120_000) } });
  const barbara = await users.create(account('barbara'));
  t.equal((await users.findByLogin('barbara'))?._id, barbara._id, 'taken over once old');
});

t.test('an account stored without keys is refused its names, and its key is put back', async (t) => {
  const { db } = await privateDb(t);
  const users = new UserStore(db);
  await users.ensureIndexes();
  const keyless = await users.create(account('edsger'));
  await users.keys.deleteMany({ userId: keyless._id });
  t.equal(await users.findByLogin('edsger'), null, 'not found without its key');
  await t.rejects(users.create(account('edsger', 'new@example.com')), { code: 'ACCOUNT_USERNAME_TAKEN' });
  t.equal((await users.findByLogin('edsger'))?._id, keyless._id, 'found again');
  t.equal(await users.findByLogin('new@example.com'), null, 'the refused email is not held');
});

t.test('a key given back by a racing registration is set again once the account is stored', async (t) => {
  const { db } = await privateDb(t);
  const users = new UserStore(db);
  await users.ensureIndexes();
  // As a registration that took the stale key over after this one, then gave it back, would.
  const insertOne = users.users.insertOne.bind(users.users);
  users.users.insertOne = (async (...args: Parameters<typeof insertOne>) => {
    await users.keys.deleteOne({ _id: 'username:alan' });
    return insertOne(...args);
  }) as typeof insertOne;
  const alan = await users.create(account('alan'));
  t.equal((await users.findByLogin('alan'))?._id, alan._id, 'found by username');
  t.equal((await users.findByLogin('alan@example.com'))?._id, alan._id, 'and by email');
});
