import t from 'tap';
import { eventually, startTestStack } from '../support/stack';
import { callJson, registerAndLogin, uniqueUsername } from '../support/users';

// Abuse limits with two gateway replicas sharing one Redis: an attacker who alternates between
// replicas gets no extra tries. Limits are lowered for this stack only, through its environment.
t.test('login, registration and reset limits hold across two gateway replicas', async (t) => {
  const env = await startTestStack(
    t,
    {
      env: {
        BCRYPT_COST: '4',
        RATE_LIMIT_FAILURES_PER_ACCOUNT: '3',
        RATE_LIMIT_FAILURES_PER_IP: '12',
        RATE_LIMIT_LOCK_SECONDS: '2',
        RATE_LIMIT_REGISTER_PER_IP: '6',
        RATE_LIMIT_RESET_PER_ACCOUNT: '2',
      },
    },
    2,
  );
  const replicas = () => [
    `http://127.0.0.1:${env.stack.ports.apps.gateway.app}`,
    `http://127.0.0.1:${env.stack.ports.extraGateways[0]?.app}`,
  ];
  const replica = (i: number) => replicas()[i % 2] as string;
  const login = (i: number, body: { login: string; password: string }) =>
    callJson<{ code: string; retryAfter?: number }>(`${replica(i)}/api/v1/sessions`, { body });

  const alice = await registerAndLogin(replica(0));
  const bob = await registerAndLogin(replica(1));
  const wrong = { login: alice.username, password: 'not the password' };

  let firstLock = 0;
  await t.test('failed logins lock the account on every replica, for longer each time', async (t) => {
    for (let i = 0; i < 3; i++) {
      t.equal((await login(i, wrong)).status, 401, `failure ${i + 1} is an ordinary 401`);
    }
    const locked = await login(1, { login: alice.username, password: alice.password });
    t.equal(locked.status, 429, 'even the right password waits while the account is locked');
    t.equal(locked.body.code, 'RATE_LIMITED');
    t.match(locked.headers.get('content-type'), /problem\+json/);
    firstLock = Number(locked.headers.get('retry-after'));
    t.ok(firstLock >= 1 && firstLock <= 2, `Retry-After is the lock's length (${firstLock})`);
    t.equal((await login(0, { login: alice.username.toUpperCase(), password: alice.password })).status, 429);
    t.equal(
      (await login(0, { login: bob.username, password: bob.password })).status,
      201,
      'another account is not affected',
    );

    // Once the lock ends, one more failure locks it again, twice as long.
    await eventually(async () => ((await login(1, wrong)).status === 401 ? true : undefined), 20_000);
    const again = await login(0, { login: alice.username, password: alice.password });
    t.equal(again.status, 429);
    t.ok(Number(again.headers.get('retry-after')) > firstLock, 'the second lock is longer than the first');
  });

  await t.test('a successful login after the lock clears the count', async (t) => {
    await eventually(
      async () =>
        (await login(0, { login: alice.username, password: alice.password })).status === 201
          ? true
          : undefined,
      20_000,
    );
    t.equal((await login(1, wrong)).status, 401);
    t.equal(
      (await login(0, { login: alice.username, password: alice.password })).status,
      201,
      'one failure after a success does not lock',
    );
  });

  await t.test('failures count per account, whether it is named by username or by email', async (t) => {
    const carol = await registerAndLogin(replica(0));
    const spellings = [carol.username, carol.email.toUpperCase(), carol.username.toUpperCase()];
    for (const [i, spelling] of spellings.entries()) {
      t.equal((await login(i, { login: spelling, password: 'wrong' })).status, 401, `failure as ${spelling}`);
    }
    const locked = await login(1, { login: carol.email, password: carol.password });
    t.equal(locked.status, 429, 'three failures across spellings lock the account');
    t.equal(
      (await login(0, { login: bob.username, password: bob.password })).status,
      201,
      'the address itself is not locked yet',
    );
  });

  await t.test('registrations per address are counted across replicas', async (t) => {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const username = uniqueUsername();
      const res = await callJson<{ code: string }>(`${replica(i)}/api/v1/accounts`, {
        body: {
          username,
          email: `${username}@example.test`,
          password: 'long enough password',
          displayName: 'R',
        },
      });
      statuses.push(res.status);
      if (res.status === 429) {
        t.equal(res.body.code, 'RATE_LIMITED');
        t.ok(Number(res.headers.get('retry-after')) > 0, 'Retry-After says when to come back');
      }
    }
    t.same(statuses, [201, 201, 201, 429, 429], 'six in an hour, three of them made above');
  });

  await t.test('reset requests per address are limited across replicas', async (t) => {
    const ask = (i: number, email: string) =>
      callJson<{ code: string }>(`${replica(i)}/api/v1/accounts/password-reset-requests`, {
        body: { email },
      });
    t.equal((await ask(0, alice.email)).status, 202);
    t.equal((await ask(1, alice.email.toUpperCase())).status, 202);
    const third = await ask(0, alice.email);
    t.equal(third.status, 429);
    t.equal(third.body.code, 'RATE_LIMITED');
    t.equal((await ask(1, bob.email)).status, 202, 'another address is not affected');
  });

  await t.test('an absurdly long body is refused before it is read', async (t) => {
    const huge = JSON.stringify({ login: 'x', password: 'p'.repeat(2_000_000) });
    for (const path of ['/api/v1/sessions', '/api/v1/accounts/email-verification']) {
      const res = await fetch(`${replica(0)}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: huge,
      });
      t.equal(res.status, 413, `${path} answers 413`);
      t.equal(((await res.json()) as { code: string }).code, 'REQUEST_TOO_LARGE');
    }
  });

  await t.test('many failures from one address lock the address, whatever the account', async (t) => {
    // Twelve failures in all from this address: eight above, then unknown accounts.
    let locked: Awaited<ReturnType<typeof login>> | undefined;
    for (let i = 0; i < 10 && !locked; i++) {
      const res = await login(i, { login: uniqueUsername(), password: 'guess' });
      if (res.status === 429) locked = res;
      else t.equal(res.status, 401);
    }
    t.ok(locked, 'the address was locked');
    t.equal(locked?.body.code, 'RATE_LIMITED');
    for (const i of [0, 1]) {
      const res = await login(i, { login: bob.username, password: bob.password });
      t.equal(res.status, 429, `replica ${i + 1} refuses even a good login from the address`);
    }
  });
});
