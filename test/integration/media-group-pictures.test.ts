import t from 'tap';
import { chatApi } from '../support/chat';
import { smallPng } from '../support/media';
import { fetchLink, mediaApi } from '../support/media-api';
import { eventually, startTestStack } from '../support/stack';
import { registerAndLogin } from '../support/users';

// A group's picture is an image of the admin who set it; everyone who sees the group sees it.
t.test('group pictures through a real stack', async (t) => {
  const { stack } = await startTestStack(t);
  const gateway = new URL(stack.urls().web).origin;
  const [ada, bob, eve] = await Promise.all([1, 2, 3].map(() => registerAndLogin(gateway)));
  const adaChat = chatApi(gateway, ada!.accessToken);
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
});
