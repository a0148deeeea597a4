import type { MediaStatus } from '@parley/contracts';
import type { Logger } from '@parley/service-kit';
import t from 'tap';
import type { Directory } from '../src/auth-client';
import { Conversations } from '../src/conversations/service';
import type { ChatEvents } from '../src/events';
import { type GroupPictures, MediaNotAnImageError } from '../src/media/media-client';
import { openStore } from '../src/store';
import { connect, startFerretDb, unrememberedMemberships } from './ferretdb';

const PICTURE = 'md_111111111111111111111111';
const OTHER = 'md_222222222222222222222222';

const directory: Directory = {
  requireUser: async () => {},
  blockedAmong: async () => new Set<string>(),
};

/** Media that answers each set with the next status in line, then refuses it once it failed. */
function scriptedPictures(answers: (MediaStatus | 'not-an-image')[]) {
  const cleared: string[] = [];
  const pictures: GroupPictures = {
    set: async (_userId, mediaId) => {
      const answer = answers.shift() ?? 'ready';
      if (answer === 'not-an-image') throw new MediaNotAnImageError(mediaId);
      return answer;
    },
    clear: async (mediaId, conversationId) => {
      cleared.push(`${mediaId}:${conversationId}`);
    },
  };
  return { pictures, cleared };
}

t.test('a group picture that turns out not to be an image is dropped', async (t) => {
  const url = await startFerretDb(t);
  const store = await openStore((await connect(t, url)).db('parley_chat_group_picture_failed_test'));
  const updates: { conversationId: string; version: number; changes: Record<string, unknown> }[] = [];
  const events = {
    member: async () => {},
    conversation: async (data: (typeof updates)[number]) => {
      updates.push(data);
    },
  } as unknown as ChatEvents;
  const chatWith = (pictures: GroupPictures) =>
    new Conversations({
      store,
      pictures,
      memberships: unrememberedMemberships(store),
      directory,
      events,
      logger: { warn: () => {} } as unknown as Logger,
    });

  await t.test('once its processing fails, every group showing it loses it, once', async (t) => {
    const { pictures, cleared } = scriptedPictures(['ready', 'ready', 'ready']);
    const chat = chatWith(pictures);
    const first = await chat.createGroup('u_ada', { name: 'first', memberIds: [], avatarMediaId: PICTURE });
    const second = await chat.createGroup('u_ada', { name: 'second', memberIds: [], avatarMediaId: PICTURE });
    const third = await chat.createGroup('u_ada', { name: 'third', memberIds: [], avatarMediaId: OTHER });
    updates.length = 0;

    await chat.dropPicture(PICTURE, 'u_ada');
    t.equal((await chat.get('u_ada', first.id)).avatarMediaId, null);
    t.equal((await chat.get('u_ada', second.id)).avatarMediaId, null);
    t.equal((await chat.get('u_ada', third.id)).avatarMediaId, OTHER, 'another picture stays');
    t.same(
      updates.map((u) => [u.conversationId, u.version, u.changes]).sort(),
      [
        [first.id, first.version + 1, { avatarMediaId: null }],
        [second.id, second.version + 1, { avatarMediaId: null }],
      ].sort(),
      'members hear of each change, as of an edit',
    );
    t.same(cleared.sort(), [`${PICTURE}:${first.id}`, `${PICTURE}:${second.id}`].sort());

    await chat.dropPicture(PICTURE, 'u_ada');
    t.equal(updates.length, 2, 'a second delivery changes nothing');
  });

  await t.test('a picture that failed between its check and the write is dropped at once', async (t) => {
    // Processing when checked, refused when asked again after the write.
    const { pictures } = scriptedPictures(['processing', 'not-an-image']);
    const chat = chatWith(pictures);
    const group = await chat.createGroup('u_ada', { name: 'racing', memberIds: [] });
    updates.length = 0;
    const answer = await chat.update('u_ada', group.id, { avatarMediaId: PICTURE });
    t.equal(answer.avatarMediaId, null, 'the answer shows the group without it');
    t.same(
      updates.map((u) => u.changes),
      [{ avatarMediaId: PICTURE }, { avatarMediaId: null }],
    );

    const made = await chatWith(scriptedPictures(['processing', 'not-an-image']).pictures).createGroup(
      'u_ada',
      { name: 'born racing', memberIds: [], avatarMediaId: PICTURE },
    );
    t.equal(made.avatarMediaId, null, 'a new group too');
  });

  await t.test('a picture still processing when asked again stays', async (t) => {
    const { pictures } = scriptedPictures(['processing', 'processing']);
    const chat = chatWith(pictures);
    const group = await chat.createGroup('u_ada', { name: 'patient', memberIds: [] });
    const answer = await chat.update('u_ada', group.id, { avatarMediaId: PICTURE });
    t.equal(answer.avatarMediaId, PICTURE);
  });
});
