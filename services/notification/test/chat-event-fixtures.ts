import type { ChatMessageView } from '@parley/contracts';
import { createLogger } from '@parley/service-kit';
import type { Client } from '@temporalio/client';
import type { ChatEventDeps } from '../src/delivery/chat-events';
import type { DirectoryCache } from '../src/delivery/directory-cache';
import type { LevelCache } from '../src/delivery/level-cache';
import type { DeliveryStore } from '../src/delivery/store';

/** A message of c_1 from Alice, as chat's events carry it. */
export const chatMessage = (id: string, text: string, version: number, seq = 1): ChatMessageView => ({
  id,
  conversationId: 'c_1',
  seq,
  clientMessageId: `client-${id}`,
  senderId: 'u_alice',
  text,
  replyToId: null,
  threadRootId: null,
  mentions: [],
  mentionsEveryone: false,
  attachments: [],
  reactions: [],
  createdAt: new Date().toISOString(),
  editedAt: version > 0 ? new Date().toISOString() : null,
  deletedAt: null,
  version,
});

/**
 * Chat, auth and Temporal as the creation handler sees them: c_1 is a direct conversation of
 * Alice and Bob unless the members are given (then a group), every level is `all`, and the
 * message ids signalled are collected.
 */
export function chatEventDeps(
  store: DeliveryStore,
  memberIds = ['u_alice', 'u_bob'],
): { deps: ChatEventDeps; signalled: string[] } {
  const signalled: string[] = [];
  const type = memberIds.length === 2 ? 'direct' : 'group';
  const deps: ChatEventDeps = {
    store,
    directory: {
      conversation: async () => ({ type, memberIds }),
      displayName: async () => 'Alice',
    } as unknown as DirectoryCache,
    levels: { levels: async (_c: string, ids: string[]) => ids.map(() => 'all') } as unknown as LevelCache,
    temporal: {
      withDeadline: (_deadline: number, fn: () => Promise<unknown>) => fn(),
      workflow: {
        signalWithStart: async (_name: string, options: { signalArgs: [{ messageId: string }] }) => {
          signalled.push(options.signalArgs[0].messageId);
        },
      },
    } as unknown as Client,
    logger: createLogger('test', 'silent'),
  };
  return { deps, signalled };
}
