import { createLogger } from '@parley/service-kit';
import t, { type Test } from 'tap';
import { AccountService, type AccountServiceDeps } from '../src/accounts/account-service';
import { LinkTokens } from '../src/accounts/link-tokens';
import { PasswordHasher } from '../src/accounts/passwords';
import { UserStore } from '../src/accounts/user-store';
import type { EmailClient, OutgoingEmail } from '../src/email/email-client';
import { privateDb } from './ferretdb';

/**
 * The account service over a private store, with an outbox that sends each idempotency key once,
 * as the notification service does: what lands in `inbox` is what the user would receive.
 */
async function accountsFor(t: Test) {
  const { db } = await privateDb(t);
  const users = new UserStore(db);
  await users.ensureIndexes();
  const links = new LinkTokens(db);
  await links.ensureIndexes();
  const inbox: OutgoingEmail[] = [];
  const keys = new Set<string>();
  const email = {
    send: async (outgoing: OutgoingEmail) => {
      // Handed over at once, or after the racing repeat's hand-over: both orders happen.
      await new Promise((resolve) => setImmediate(resolve));
      if (keys.has(outgoing.idempotencyKey)) return;
      keys.add(outgoing.idempotencyKey);
      inbox.push(outgoing);
    },
  } as unknown as EmailClient;
  const accounts = new AccountService({
    users,
    links,
    email,
    logger: createLogger('test', 'silent'),
    publicUrl: 'http://127.0.0.1:1',
    verificationTtlSeconds: 3_600,
    resetTtlSeconds: 3_600,
  } as unknown as AccountServiceDeps);
  const hasher = new PasswordHasher(4);
  const create = async (name: string) =>
    users.create({
      username: name,
      email: `${name}@example.test`,
      emailVerified: false,
      displayName: name,
      passwordHash: await hasher.hash('correct horse battery'),
    });
  const tokenOf = (mail: OutgoingEmail) => /#token=([\w-]+)/.exec(mail.text)?.[1] ?? '';
  return { accounts, users, links, inbox, create, tokenOf };
}

t.test('a repeated password reset request sends one email, whose link works', async (t) => {
  const { accounts, links, inbox, create, tokenOf } = await accountsFor(t);
  const ada = await create('ada');

  await accounts.requestPasswordReset(ada.email, 'req-1');
  await accounts.requestPasswordReset(ada.email, 'req-1');
  await Promise.all([1, 2, 3].map(() => accounts.requestPasswordReset(ada.email, 'req-2')));
  t.equal(inbox.length, 2, 'one email per request, repeats and racing repeats included');

  for (const mail of inbox) {
    t.same(await links.consume('reset-password', tokenOf(mail)), { userId: ada._id, email: ada.email });
  }

  await accounts.requestPasswordReset(ada.email, 'req-3');
  t.equal(inbox.length, 3, 'another request is another email');
});

t.test('the same request id for another address is another request', async (t) => {
  const { accounts, inbox, create } = await accountsFor(t);
  const ada = await create('ada');
  const bea = await create('bea');

  await accounts.requestPasswordReset(ada.email, 'req-1');
  await accounts.requestPasswordReset(bea.email, 'req-1');
  t.same(
    inbox.map((mail) => mail.to.address),
    [ada.email, bea.email],
    'each address gets its own email',
  );
});

t.test('a repeated verification request sends one email, whose link works', async (t) => {
  const { accounts, users, links, inbox, create, tokenOf } = await accountsFor(t);
  const ada = await create('ada');
  const bea = await create('bea');

  await accounts.sendVerification(ada, 'req-1');
  await Promise.all([1, 2, 3].map(() => accounts.sendVerification(ada, 'req-1')));
  t.equal(inbox.length, 1, 'one email, repeats and racing repeats included');

  await accounts.sendVerification(bea, 'req-1');
  t.equal(inbox.length, 2, "another caller's request with the same id is its own");

  const [mail] = inbox;
  await links.consume('verify-email', tokenOf(mail!));
  await users.markEmailVerified(ada._id, ada.email);
  t.equal((await users.findById(ada._id))?.emailVerified, true, 'the link that went out works');
});
