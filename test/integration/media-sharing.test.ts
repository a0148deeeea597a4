import { randomBytes } from 'node:crypto';
import t, { type Test } from 'tap';
import { chatApi } from '../support/chat';
import { jpegWithGps } from '../support/media';
import { type MediaBody, fetchLink, mediaApi } from '../support/media-api';
import { scrapeMetrics, seriesValue } from '../support/metrics';
import { connectClient } from '../support/sockets';
import { eventually, startTestStack } from '../support/stack';
import { callJson, registerAndLogin } from '../support/users';

const MB = 1024 * 1024;

interface MessageEvent {
  conversationId: string;
  message: { id: string; attachments: { mediaId: string; status?: string }[] };
}

t.test('media shared in conversations through a real stack', async (t) => {
  const { stack } = await startTestStack(t, {
    env: {
      MEDIA_MAX_UPLOAD_BYTES: String(2 * MB),
      MEDIA_QUOTA_BYTES: String(3 * MB),
      MEDIA_UPLOADS_PER_HOUR: '12',
      MEDIA_SWEEP_SECONDS: '1',
    },
  });
  const gateway = new URL(stack.urls().web).origin;
  const ada = await registerAndLogin(gateway);
  const bob = await registerAndLogin(gateway);
  const eve = await registerAndLogin(gateway);
  const adaMedia = mediaApi(gateway, ada.accessToken);
  const bobMedia = mediaApi(gateway, bob.accessToken);
  const eveMedia = mediaApi(gateway, eve.accessToken);
  const adaChat = chatApi(gateway, ada.accessToken);

  /** Every path that names a media id, as `user` calls it: each must answer 404 MEDIA_NOT_FOUND. */
  const refusedEverywhere = async (
    tt: Test,
    api: ReturnType<typeof mediaApi>,
    mediaId: string,
    who: string,
  ) => {
    const paths: [string, string, unknown?][] = [
      ['GET', `/media/${mediaId}`],
      ['GET', `/media/${mediaId}/download`],
      ['GET', `/media/${mediaId}/thumbnail`],
      ['GET', `/media/${mediaId}/preview`],
      ['GET', `/media/${mediaId}/content`],
      ['GET', `/media/${mediaId}/blocks`],
      ['POST', `/media/${mediaId}/upload-link`, {}],
      ['POST', `/media/${mediaId}/complete`, { blockIds: ['AAAA'] }],
    ];
    for (const [method, path, body] of paths) {
      const res = await api.call(path, { method, ...(body === undefined ? {} : { body }) });
      tt.equal(res.status, 404, `${who}: ${method} ${path} is 404`);
      tt.equal(res.body?.code, 'MEDIA_NOT_FOUND', `${who}: ${method} ${path} says no such media`);
    }
  };

  const group = await adaChat.group('photos', [bob.userId]);
  t.equal(group.status, 201);
  const conversationId = group.body.id;

  // An upload opened but not finished can already be attached; its message follows its status.
  const photo = await jpegWithGps(800, 600);
  const created = await adaMedia.call<{ media: MediaBody; upload: { url: string } }>('/media/uploads', {
    body: { fileName: 'beach.jpg', contentType: 'image/jpeg', sizeBytes: photo.length },
  });
  t.equal(created.status, 201);
  const mediaId = created.body.media.id;

  t.test('before it is shared, only its owner reaches it', async (t) => {
    await refusedEverywhere(t, bobMedia, mediaId, 'bob');
    await refusedEverywhere(t, eveMedia, mediaId, 'eve');
    t.equal((await adaMedia.get(mediaId)).status, 200);
  });

  t.test('nobody attaches media that is not theirs', async (t) => {
    const eveChat = chatApi(gateway, eve.accessToken);
    const direct = await eveChat.direct(ada.userId);
    const stolen = await eveChat.call(`/conversations/${direct.body.id}/messages`, {
      body: { clientMessageId: randomBytes(8).toString('hex'), text: 'look', attachments: [{ mediaId }] },
    });
    t.equal(stolen.status, 404);
    t.equal(stolen.body.code, 'CHAT_MEDIA_NOT_FOUND');
    const invented = await adaChat.call(`/conversations/${conversationId}/messages`, {
      body: {
        clientMessageId: randomBytes(8).toString('hex'),
        text: 'x',
        attachments: [{ mediaId: 'md_000000000000000000000000' }],
      },
    });
    t.equal(invented.status, 404, 'nor media that does not exist');
  });

  t.test("only a message with attachments reaches media's handler for new messages", async (t) => {
    const metrics = `http://127.0.0.1:${stack.ports.apps.media.app}/metrics`;
    const handled = { topic: 'chat.message.created' };
    const acked = { route: '/dapr/events/chat-message-created-without-media', status: '200' };
    const counts = async () => {
      const text = await scrapeMetrics(metrics);
      return {
        handled: seriesValue(text, 'pubsub_deliveries_total', handled),
        acked: seriesValue(text, 'http_request_duration_seconds_count', acked),
      };
    };
    const before = await counts();

    const plain = await adaChat.call(`/conversations/${conversationId}/messages`, {
      body: { clientMessageId: randomBytes(8).toString('hex'), text: 'no pictures today' },
    });
    t.equal(plain.status, 201);
    const afterPlain = await eventually(async () => {
      const now = await counts();
      return now.acked > before.acked ? now : undefined;
    });
    t.equal(afterPlain.acked, before.acked + 1, 'the sidecar acknowledges a plain message on the side route');
    t.equal(afterPlain.handled, before.handled, 'and the handler never sees it');

    const note = await adaMedia.upload('note.txt', 'text/plain', Buffer.from('see attached\n'));
    t.equal(note.status, 201);
    const noteId = (await adaMedia.settled(note.body.id)).id;
    const carrying = await adaChat.call(`/conversations/${conversationId}/messages`, {
      body: {
        clientMessageId: randomBytes(8).toString('hex'),
        text: 'attached',
        attachments: [{ mediaId: noteId }],
      },
    });
    t.equal(carrying.status, 201);
    const afterCarrying = await eventually(async () => {
      const now = await counts();
      return now.handled > afterPlain.handled ? now : undefined;
    });
    t.equal(afterCarrying.handled, afterPlain.handled + 1, 'a message with attachments reaches the handler');
    t.equal(afterCarrying.acked, afterPlain.acked, 'and not the side route');
  });

  let messageId = '';
  t.test('the message carrying it updates for members when processing finishes', async (t) => {
    const bobSocket = await connectClient(t, gateway, { token: bob.accessToken });
    const sent = await adaChat.call<{ id: string; attachments: { mediaId: string; status: string }[] }>(
      `/conversations/${conversationId}/messages`,
      {
        body: {
          clientMessageId: randomBytes(8).toString('hex'),
          text: 'the beach',
          attachments: [{ mediaId }],
        },
      },
    );
    t.equal(sent.status, 201);
    t.same(sent.body.attachments, [{ mediaId, status: 'pending' }]);
    messageId = sent.body.id;

    const blockId = Buffer.from('block-0000').toString('base64');
    const put = await fetch(`${created.body.upload.url}&comp=block&blockid=${encodeURIComponent(blockId)}`, {
      method: 'PUT',
      body: photo,
    });
    t.equal(put.status, 201);
    t.equal(
      (await adaMedia.call(`/media/${mediaId}/complete`, { body: { blockIds: [blockId] } })).status,
      202,
    );

    const [edited] = await bobSocket.waitFor<MessageEvent>(
      'message:edited',
      (e) => e.message.id === messageId && e.message.attachments[0]?.status === 'ready',
      1,
      90_000,
    );
    t.same(edited?.message.attachments, [{ mediaId, status: 'ready' }], 'bob sees the attachment ready');
    const history = await chatApi(gateway, bob.accessToken).history(conversationId);
    t.same(history.body.items.find((m) => m.id === messageId)?.attachments, [{ mediaId, status: 'ready' }]);
  });

  t.test('members of the conversation get links; anyone else is told it does not exist', async (t) => {
    const status = await bobMedia.get(mediaId);
    t.equal(status.status, 200);
    t.match(status.body, { status: 'ready', kind: 'image', width: 800, height: 600 });
    for (const rendition of ['download', 'thumbnail', 'preview'] as const) {
      const link = await bobMedia.link(mediaId, rendition);
      t.equal(link.status, 200, `bob gets a ${rendition} link`);
      t.equal((await fetchLink(link.body.url)).status, 200, `and the ${rendition} opens`);
    }
    await refusedEverywhere(t, eveMedia, mediaId, 'eve');
    for (const path of ['blocks', 'complete', 'upload-link']) {
      const res = await bobMedia.call(`/media/${mediaId}/${path}`, {
        method: path === 'blocks' ? 'GET' : 'POST',
        ...(path === 'blocks' ? {} : { body: path === 'complete' ? { blockIds: ['AAAA'] } : {} }),
      });
      t.equal(res.status, 404, `bob, a viewer, cannot touch the upload: ${path}`);
    }
  });

  t.test('deleting the last message carrying media deletes the media', async (t) => {
    const link = await adaMedia.link(mediaId, 'download');
    t.equal((await adaChat.call(`/messages/${messageId}`, { method: 'DELETE' })).status, 200);
    await eventually(async () => ((await adaMedia.get(mediaId)).status === 404 ? true : undefined), 60_000);
    t.equal((await bobMedia.get(mediaId)).status, 404, 'gone for members too');
    await eventually(
      async () => ((await fetchLink(link.body.url)).status === 404 ? true : undefined),
      30_000,
    );
    t.pass('and its blobs are gone from storage');
  });

  t.test('deleting an account deletes the media nobody references', async (t) => {
    const carol = await registerAndLogin(gateway);
    const carolMedia = mediaApi(gateway, carol.accessToken);
    const uploaded = await carolMedia.upload('note.txt', 'text/plain', Buffer.from('carol was here\n'));
    const ready = await carolMedia.settled(uploaded.body.id);
    const link = await carolMedia.link(ready.id, 'download');
    t.equal((await fetchLink(link.body.url)).status, 200);
    const deleted = await callJson(`${gateway}/api/v1/accounts/me`, {
      method: 'DELETE',
      token: carol.accessToken,
      body: { password: carol.password },
    });
    t.equal(deleted.status, 204);
    await eventually(
      async () => ((await fetchLink(link.body.url)).status === 404 ? true : undefined),
      60_000,
    );
    t.pass("the deleted user's file is removed from storage");
  });

  t.test('a user keeps within the storage quota', async (t) => {
    const dan = await registerAndLogin(gateway);
    const danMedia = mediaApi(gateway, dan.accessToken);
    const first = await danMedia.upload('a.bin', 'application/octet-stream', randomBytes(1.8 * MB));
    t.equal(first.status, 201);
    const second = await danMedia.upload('b.bin', 'application/octet-stream', randomBytes(1.8 * MB));
    t.equal(second.status, 413);
    t.equal((second.body as unknown as { code: string }).code, 'MEDIA_QUOTA_EXCEEDED');
    const direct = await danMedia.call('/media/uploads', {
      body: { fileName: 'c.bin', contentType: 'application/octet-stream', sizeBytes: 1.5 * MB },
    });
    t.equal(direct.status, 413, 'a direct upload that would not fit is refused before it starts');
    const fits = await danMedia.upload('d.bin', 'application/octet-stream', randomBytes(MB));
    t.equal(fits.status, 201, 'what still fits is accepted');
  });

  t.test('a user starts a limited number of uploads per hour', async (t) => {
    const fay = await registerAndLogin(gateway);
    const fayMedia = mediaApi(gateway, fay.accessToken);
    const open = () =>
      fayMedia.call('/media/uploads', {
        body: { fileName: 'x.bin', contentType: 'application/octet-stream', sizeBytes: 10 },
      });
    for (let i = 0; i < 12; i++) t.equal((await open()).status, 201, `upload ${i + 1} may start`);
    const refused = await open();
    t.equal(refused.status, 429);
    t.equal(refused.body.code, 'RATE_LIMITED');
    t.ok(Number(refused.body.retryAfter) > 0, 'with how long to wait');
    t.equal(refused.headers.get('retry-after'), String(refused.body.retryAfter), 'also as Retry-After');
  });
});
