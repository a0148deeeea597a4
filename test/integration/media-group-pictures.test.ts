import t from 'tap';
import { chatApi } from '../support/chat';
import { smallPng } from '../support/media';
import { fetchLink, mediaApi } from '../support/media-api';
import { eventually, startTestStack } from '../support/stack';
import { connectClient } from '../support/sockets';
import { callJson, registerAndLogin } from '../support/users';

// A group's picture is an image of the admin who set it; everyone who sees the group sees it.
t.test('group pictures through a real stack', async (t) => {
  const { stack } = await startTestStack(t);
  const gateway = new URL(stack.urls().web).origin;
  const [ada, bob, eve] = await Promise.all([1, 2, 3].map(() => registerAndLogin(gateway)));
  const adaChat = chatApi(gateway, ada!.accessToken);
  const bobChat = chatApi(gateway, bob!.accessToken);
  const adaMedia = mediaApi(gateway, ada!.accessToken);
  const bobMedia = mediaApi(gateway, bob!.accessToken);
  const eveMedia = mediaApi(gateway, eve!.accessToken);

  const upload = async (api: typeof adaMedia, fileName: string, type: string, bytes: Buffer) => {
    const uploaded = await api.upload(fileName, type, bytes);
    t.equal(uploaded.status, 201, `${fileName} uploaded`);
    return (await api.settled(uploaded.body.id)).id;
  };
  const first = await upload(adaMedia, 'first.png', 'image/png', await smallPng());
  const second = await upload(adaMedia, 'second.png', 'image/png', await smallPng(120, 80));
  const notes = await upload(adaMedia, 'notes.txt', 'text/plain', Buffer.from('not a picture\n'));
  const bobs = await upload(bobMedia, 'bob.png', 'image/png', await smallPng());

  const group = await adaChat.call<{ id: string; avatarMediaId: string | null }>('/conversations', {
    body: { type: 'group', name: 'climbers', memberIds: [bob!.userId], avatarMediaId: first },
  });
  t.equal(group.status, 201);
  t.equal(group.body.avatarMediaId, first);
  const patch = (avatarMediaId: string | null) =>
    adaChat.call<{ code?: string; avatarMediaId?: string | null }>(`/conversations/${group.body.id}`, {
      method: 'PATCH',
      body: { avatarMediaId },
    });

  await t.test('members, and anyone signed in, see its thumbnail and preview, not the file', async (t) => {
    for (const [who, api] of [
      ['bob', bobMedia],
      ['eve', eveMedia],
    ] as const) {
      for (const rendition of ['thumbnail', 'preview'] as const) {
        const link = await api.link(first, rendition);
        t.equal(link.status, 200, `${who} gets the ${rendition}`);
        t.equal((await fetchLink(link.body.url)).status, 200, `and it opens for ${who}`);
      }
    }
    t.equal((await eveMedia.link(first, 'download')).status, 404, 'the original stays its owner’s');
  });

  await t.test('only an image of the admin’s own becomes the picture', async (t) => {
    const others = await adaChat.call<{ code: string }>('/conversations', {
      body: { type: 'group', name: 'borrowed', memberIds: [bob!.userId], avatarMediaId: bobs },
    });
    t.equal(others.status, 404, "someone else's media is not found");
    t.equal(others.body.code, 'CHAT_MEDIA_NOT_FOUND');
    t.match(await patch('md_000000000000000000000000'), {
      status: 404,
      body: { code: 'CHAT_MEDIA_NOT_FOUND' },
    });
    t.match(await patch(notes), { status: 409, body: { code: 'CHAT_MEDIA_NOT_AN_IMAGE' } });
    t.equal((await eveMedia.link(bobs, 'thumbnail')).status, 404, "bob's image did not become a picture");
    t.equal((await eveMedia.link(notes, 'thumbnail')).status, 404);
  });

  await t.test('a picture replaced is visible to its owner alone again', async (t) => {
    t.match(await patch(second), { status: 200, body: { avatarMediaId: second } });
    t.equal((await eveMedia.link(second, 'thumbnail')).status, 200);
    await eventually(async () =>
      (await eveMedia.link(first, 'thumbnail')).status === 404 ? true : undefined,
    );
    t.equal((await bobMedia.link(first, 'thumbnail')).status, 404, 'bob never saw it in a message');
    t.equal((await adaMedia.link(first, 'thumbnail')).status, 200, 'ada keeps her image');
    t.match(await patch(null), { status: 200, body: { avatarMediaId: null } });
    await eventually(async () =>
      (await eveMedia.link(second, 'thumbnail')).status === 404 ? true : undefined,
    );
  });

  await t.test(
    'a picture whose processing then fails is dropped, for the group and the profile',
    async (t) => {
      const bobSocket = await connectClient(t, gateway, { token: bob!.accessToken });
      // With the worker away the uploads stay processing: set as pictures, they fail afterwards.
      await stack.kill('worker');
      let restarted = false;
      t.teardown(async () => {
        if (!restarted) await stack.restart('worker');
      });
      const fake = Buffer.from('<html><body>not a picture at all</body></html>\n');
      const forGroup = await adaMedia.upload('fake.png', 'image/png', fake);
      const forProfile = await adaMedia.upload('also-fake.png', 'image/png', fake);
      t.equal(forGroup.body.status, 'processing');
      t.match(await patch(forGroup.body.id), { status: 200, body: { avatarMediaId: forGroup.body.id } });
      const profile = () =>
        callJson<{ user: { avatarMediaId: string | null } }>(`${gateway}/api/v1/users/me`, {
          token: ada!.accessToken,
        });
      const picked = await callJson<{ user: { avatarMediaId: string | null } }>(
        `${gateway}/api/v1/users/me`,
        {
          method: 'PATCH',
          body: { avatarMediaId: forProfile.body.id },
          token: ada!.accessToken,
        },
      );
      t.equal(picked.status, 200);
      t.equal(picked.body.user.avatarMediaId, forProfile.body.id);

      await stack.restart('worker');
      restarted = true;
      t.match(await adaMedia.settled(forGroup.body.id), { status: 'failed' });
      t.match(await adaMedia.settled(forProfile.body.id), { status: 'failed' });
      const [dropped] = await bobSocket.waitFor<{ conversationId: string; changes: Record<string, unknown> }>(
        'conversation:updated',
        (data) => data.conversationId === group.body.id && data.changes.avatarMediaId === null,
      );
      t.ok(dropped, 'members hear the group lost its picture');
      const seen = await bobChat.call<{ avatarMediaId: string | null }>(`/conversations/${group.body.id}`);
      t.equal(seen.body.avatarMediaId, null, 'and see it without one');
      await eventually(async () => ((await profile()).body.user.avatarMediaId === null ? true : undefined));
      t.pass('the profile lost its picture too');
    },
  );
});
