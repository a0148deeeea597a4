import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import t from 'tap';
import { smallPng } from '../support/media';
import { fetchLink, mediaApi } from '../support/media-api';
import { eventually, startTestStack } from '../support/stack';
import { type RegisteredUser, callJson, registerAndLogin, uniqueUsername } from '../support/users';

interface PublicUser {
  id: string;
  username: string;
  displayName: string;
  avatarMediaId: string | null;
  statusText: string | null;
  timeZone: string | null;
  language: string | null;
}

const PUBLIC_FIELDS = [
  'avatarMediaId',
  'displayName',
  'id',
  'language',
  'statusText',
  'timeZone',
  'username',
];

// Profiles, the directory, contacts and blocks, account deletion and the events they publish.
t.test('profiles, directory, contacts and account deletion', async (t) => {
  const env = await startTestStack(t, { env: { BCRYPT_COST: '4' } });
  const gateway = () => `http://127.0.0.1:${env.stack.ports.apps.gateway.app}`;
  const api = (path: string) => `${gateway()}/api/v1${path}`;
  const as = (user: RegisteredUser, path: string, init: { method?: string; body?: unknown } = {}) =>
    callJson<Record<string, unknown> & { code?: string }>(api(path), { ...init, token: user.accessToken });
  const mongo = new MongoClient(`mongodb://127.0.0.1:${env.stack.ports.mongo}/`);
  t.teardown(() => mongo.close());
  const redis = new Redis(env.stack.ports.redis, '127.0.0.1');
  t.teardown(() => redis.quit());

  /** The data of the events on a topic's stream that concern a user. */
  const eventsFor = async (topic: string, userId: string) => {
    const entries = await redis.xrange(topic, '-', '+');
    return entries
      .map(
        ([, fields]) =>
          JSON.parse(fields[fields.indexOf('data') + 1] ?? '{}') as { data: { userId: string } },
      )
      .map((cloudEvent) => cloudEvent.data)
      .filter((data) => data.userId === userId);
  };

  const ada = await registerAndLogin(gateway(), {
    username: uniqueUsername('ada_'),
    displayName: 'Ada Lovelace',
  });
  const bob = await registerAndLogin(gateway(), { displayName: 'Bob Marley' });

  await t.test('a registration repeated by its request id answers the account it stored', async (t) => {
    // What a sidecar does when the first try stored the account but its answer was lost.
    const username = uniqueUsername('again_');
    const body = {
      username,
      email: `${username}@example.test`,
      password: 'correct horse battery',
      displayName: 'A',
    };
    const register = (requestId: string, override: object = {}) =>
      callJson<{ user?: { id: string }; code?: string }>(api('/accounts'), {
        body: { ...body, ...override },
        headers: { 'x-request-id': requestId },
      });
    const first = await register(`${username}-first`);
    t.equal(first.status, 201);
    const again = await register(`${username}-first`);
    t.equal(again.status, 201, 'the same request again');
    t.equal(again.body.user?.id, first.body.user?.id, 'the same account');
    const otherPassword = await register(`${username}-first`, { password: 'another horse battery' });
    t.same(
      [otherPassword.status, otherPassword.body.code],
      [409, 'ACCOUNT_USERNAME_TAKEN'],
      'not with another password',
    );
    const otherRequest = await register(`${username}-second`);
    t.same(
      [otherRequest.status, otherRequest.body.code],
      [409, 'ACCOUNT_USERNAME_TAKEN'],
      'nor as another request',
    );
  });

  await t.test('a user edits their profile; others see only the public fields', async (t) => {
    const picture = await mediaApi(gateway(), ada.accessToken).upload(
      'me.png',
      'image/png',
      await smallPng(),
    );
    t.equal(picture.status, 201);
    const avatarId = picture.body.id;
    const res = await as(ada, '/users/me', {
      method: 'PATCH',
      body: {
        displayName: 'Countess Ada',
        avatarMediaId: avatarId,
        statusText: 'Computing',
        timeZone: 'Europe/London',
        language: 'en-GB',
      },
    });
    t.equal(res.status, 200);
    t.match(res.body.user, { displayName: 'Countess Ada', timeZone: 'Europe/London', email: ada.email });

    const seen = await as(bob, `/users/${ada.userId}`);
    t.equal(seen.status, 200);
    t.same(Object.keys(seen.body.user as object).sort(), PUBLIC_FIELDS, 'no email, phone or secrets');
    t.match(seen.body.user, { displayName: 'Countess Ada', avatarMediaId: avatarId, language: 'en-GB' });
    await mediaApi(gateway(), ada.accessToken).settled(avatarId);
    // bob shares no conversation with ada, yet sees her picture, and only that of her media.
    const bobMedia = mediaApi(gateway(), bob.accessToken);
    const thumbnail = await bobMedia.link(avatarId, 'thumbnail');
    t.equal(thumbnail.status, 200, "anyone signed in sees an avatar's thumbnail");
    t.equal((await fetchLink(thumbnail.body.url)).status, 200);
    t.equal((await bobMedia.link(avatarId, 'download')).status, 404, 'but not the original file');
    t.equal((await bobMedia.get(avatarId)).status, 404, 'nor its details');
    const other = await mediaApi(gateway(), ada.accessToken).upload(
      'private.png',
      'image/png',
      await smallPng(40, 40),
    );
    await mediaApi(gateway(), ada.accessToken).settled(other.body.id);
    t.equal((await bobMedia.link(other.body.id, 'thumbnail')).status, 404, 'her other pictures stay hers');

    const foreign = await as(bob, '/users/me', { method: 'PATCH', body: { avatarMediaId: avatarId } });
    t.equal(foreign.status, 404, "someone else's media cannot be one's avatar");
    t.equal(foreign.body.code, 'MEDIA_NOT_FOUND');
    const text = await mediaApi(gateway(), bob.accessToken).upload(
      'notes.txt',
      'text/plain',
      Buffer.from('hi'),
    );
    await bobMedia.settled(text.body.id);
    const notImage = await as(bob, '/users/me', { method: 'PATCH', body: { avatarMediaId: text.body.id } });
    t.equal(notImage.status, 409, 'an avatar must be an image');
    t.equal(notImage.body.code, 'MEDIA_NOT_AN_IMAGE');
    t.equal(
      ((await as(bob, '/users/me')).body.user as PublicUser).avatarMediaId,
      null,
      'a refused picture leaves the profile as it was',
    );

    const removed = await as(ada, '/users/me', { method: 'PATCH', body: { avatarMediaId: null } });
    t.equal(removed.status, 200);
    t.equal((await bobMedia.link(avatarId, 'thumbnail')).status, 404, 'a former avatar is private again');
    await as(ada, '/users/me', { method: 'PATCH', body: { avatarMediaId: avatarId } });

    const cleared = await as(ada, '/users/me', { method: 'PATCH', body: { statusText: null } });
    t.equal((cleared.body.user as PublicUser).statusText, null, 'null clears a field');
    for (const body of [{ timeZone: 'Mars/Olympus' }, { language: 'not a tag!' }, {}]) {
      t.equal((await as(ada, '/users/me', { method: 'PATCH', body })).status, 400, JSON.stringify(body));
    }

    const updated = await eventually(async () => {
      const events = await eventsFor('user.updated', ada.userId);
      return events.length >= 2 ? events : undefined;
    });
    t.match(updated[0], { userId: ada.userId, user: { displayName: 'Countess Ada' } });
    t.notMatch(JSON.stringify(updated), ada.email, 'events carry no email');
  });

  await t.test(
    'the directory finds people by username or name prefix, or by their whole email',
    async (t) => {
      const find = async (q: string) => {
        const res = await as(bob, `/users?q=${encodeURIComponent(q)}`);
        t.equal(res.status, 200, `search ${q}`);
        return res.body.users as PublicUser[];
      };
      const ids = (users: PublicUser[]) => users.map((u) => u.id);
      t.ok(ids(await find(ada.username.slice(0, 6))).includes(ada.userId), 'by username prefix');
      t.ok(ids(await find('countess')).includes(ada.userId), 'by display name prefix, ignoring case');
      t.ok(
        ids(await find(ada.email.toUpperCase())).includes(ada.userId),
        'by the whole address, in any case',
      );
      const local = ada.email.split('@')[0] ?? '';
      for (const fragment of [`${local}@`, `${local}@exa`, ada.email.slice(0, -1), 'example.test']) {
        t.notOk(ids(await find(fragment)).includes(ada.userId), `not by a part of the address: ${fragment}`);
      }
      const results = await find(ada.username);
      t.same(Object.keys(results[0] ?? {}).sort(), PUBLIC_FIELDS, 'only public fields');
      t.same(await find('.*'), [], 'a pattern is taken literally');
      t.equal((await as(bob, '/users?q=a')).status, 400, 'too short a query');
      t.equal((await callJson(api('/users?q=ada'))).status, 401, 'the directory needs a login');
    },
  );

  await t.test('contacts can be added, listed and removed; blocks are separate', async (t) => {
    t.equal((await as(ada, `/contacts/${bob.userId}`, { method: 'PUT' })).status, 204);
    t.equal(
      (await as(ada, `/contacts/${bob.userId}`, { method: 'PUT' })).status,
      204,
      'adding twice is harmless',
    );
    const list = await as(ada, '/contacts');
    t.same(
      (list.body.contacts as PublicUser[]).map((c) => c.id),
      [bob.userId],
    );
    t.equal((await as(ada, `/contacts/${ada.userId}`, { method: 'PUT' })).body.code, 'CONTACT_SELF');
    t.equal(
      (await as(ada, '/contacts/00000000-0000-4000-8000-000000000000', { method: 'PUT' })).body.code,
      'USER_NOT_FOUND',
    );
    t.equal((await as(ada, `/contacts/${bob.userId}`, { method: 'DELETE' })).status, 204);
    t.same((await as(ada, '/contacts')).body.contacts, []);
    t.equal((await as(ada, `/contacts/${bob.userId}`, { method: 'DELETE' })).body.code, 'CONTACT_NOT_FOUND');

    await as(ada, `/contacts/${bob.userId}`, { method: 'PUT' });
    t.equal((await as(ada, `/contacts/blocked/${bob.userId}`, { method: 'PUT' })).status, 204);
    t.same(
      ((await as(ada, '/contacts/blocked')).body.blocked as PublicUser[]).map((u) => u.id),
      [bob.userId],
    );
    t.same((await as(ada, '/contacts')).body.contacts, [], 'blocking removes the contact');
    t.equal((await as(ada, `/contacts/blocked/${bob.userId}`, { method: 'DELETE' })).status, 204);
    t.same((await as(ada, '/contacts/blocked')).body.blocked, []);
  });

  await t.test('deleting an account removes its personal data', async (t) => {
    const carol = await registerAndLogin(gateway(), { phone: '+447700900123' });
    await as(bob, `/contacts/${carol.userId}`, { method: 'PUT' });
    await as(carol, `/contacts/blocked/${ada.userId}`, { method: 'PUT' });

    t.equal(
      (await as(carol, '/accounts/me', { method: 'DELETE' })).body.code,
      'AUTH_PASSWORD_CONFIRMATION_REQUIRED',
    );
    t.equal(
      (await as(carol, '/accounts/me', { method: 'DELETE', body: { password: 'wrong password' } })).status,
      401,
    );
    const deleted = await as(carol, '/accounts/me', { method: 'DELETE', body: { password: carol.password } });
    t.equal(deleted.status, 204);

    t.equal((await as(bob, `/users/${carol.userId}`)).status, 404);
    t.same((await as(bob, '/contacts')).body.contacts, [], "gone from others' contacts");
    const login = await callJson(api('/sessions'), {
      body: { login: carol.username, password: carol.password },
    });
    t.equal(login.status, 401, 'the account cannot log in');
    t.equal((await as(carol, '/accounts/me')).body.code, 'AUTH_SESSION_REVOKED');

    const db = mongo.db('parley_auth');
    for (const name of await db.listCollections().toArray()) {
      const docs = await db.collection(name.name).find({}).toArray();
      const text = JSON.stringify(docs);
      t.notOk(text.includes(carol.userId), `${name.name} holds nothing about the user`);
      t.notOk(text.includes(carol.email), `${name.name} holds not the email`);
      t.notOk(text.includes('+447700900123'), `${name.name} holds not the phone`);
    }
    const deletedEvents = await eventually(async () => {
      const events = await eventsFor('user.deleted', carol.userId);
      return events.length > 0 ? events : undefined;
    });
    t.same(Object.keys(deletedEvents[0] ?? {}).sort(), ['occurredAt', 'userId']);
    const registered = await eventsFor('user.registered', carol.userId);
    t.equal(registered.length, 1, 'its registration was published once');
    t.notMatch(JSON.stringify(registered), /password|email|phone|\+44/i, 'with public fields only');

    const again = await registerAndLogin(gateway(), { username: carol.username, email: carol.email });
    t.not(again.userId, carol.userId, 'the name and address are free again');
  });
});
