import { startPrivateFerretDb } from '@parley/devstack';
import { ChangeBoard, createLogger } from '@parley/service-kit';
import { MongoClient } from 'mongodb';
import type { Test } from 'tap';
import { MEMBERSHIP_BOARD, MembershipCache } from '../src/conversations/membership-cache';
import { messageIdFor } from '@parley/contracts';
import { newMember } from '../src/conversations/service';
import type { GroupPictures } from '../src/media/media-client';
import { type ChatStore, type ConversationDoc, type MemberDoc, type MessageDoc } from '../src/store';

/** A private FerretDB on a free loopback port for the length of the test; resolves with its URL. */
export function startFerretDb(t: Test): Promise<string> {
  return startPrivateFerretDb((stop) => t.teardown(stop));
}

/**
 * A client closed with the test: each one stands for one instance of the chat service. It reports
 * its commands, so a test can check which ones a step sends.
 */
export async function connect(t: Test, url: string): Promise<MongoClient> {
  const client = new MongoClient(url, { monitorCommands: true });
  await client.connect();
  t.teardown(() => client.close());
  return client;
}

/** A group conversation's document as chat stores it, with nothing sent yet. */
export function groupDoc(_id: string, createdBy: string): ConversationDoc {
  return {
    _id,
    type: 'group',
    directPair: null,
    name: 'g',
    topic: null,
    avatarMediaId: null,
    createdBy,
    createdAt: new Date(),
    lastSeq: 0,
    lastActivity: new Date(),
    version: 0,
  };
}

/**
 * The membership checks of an instance whose change board was never read: it remembers nothing,
 * so every check reads (for tests that are not about the memory).
 */
export function unrememberedMemberships(store: ChatStore): MembershipCache {
  const board = new ChangeBoard(store.changeBoards, MEMBERSHIP_BOARD, createLogger('test', 'silent'));
  return new MembershipCache(store, board, 30_000);
}

/** A plain member's membership, with nothing read or delivered yet. */
export function memberDoc(conversationId: string, userId: string): MemberDoc {
  return newMember(conversationId, userId, 'member', new Date());
}

/** A stored message of Ada's, numbered `seq`, with no reaction, edit or deletion. */
export function storedMessage(conversationId: string, seq: number): MessageDoc {
  return {
    _id: messageIdFor(conversationId, seq),
    seq,
    conversationId,
    clientMessageId: `client-${seq}`,
    senderId: 'u_ada',
    text: `message ${seq}`,
    replyToId: null,
    threadRootId: null,
    mentions: [],
    mentionsEveryone: false,
    attachments: [],
    reactions: [],
    reactionKeys: [],
    edits: [],
    createdAt: new Date(),
    editedAt: null,
    deletedAt: null,
    version: 0,
  };
}

/** Group pictures for tests that set none: asked to, it fails the test's request. */
export const noPictures: GroupPictures = {
  set: async () => {
    throw new Error('this test sets no group picture');
  },
  clear: async () => {
    throw new Error('this test sets no group picture');
  },
};
