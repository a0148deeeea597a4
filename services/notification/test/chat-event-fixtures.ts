import type { ChatMessageView } from '@parley/contracts';
import { type ChangeBoard, createHttpApp, createLogger, finishHttpApp } from '@parley/service-kit';
import type { Client } from '@temporalio/client';
import type { AddressInfo } from 'node:net';
import type { Test } from 'tap';
import { type ChatEventDeps, mountChatEvents } from '../src/delivery/chat-events';
import type { DirectoryCache } from '../src/delivery/directory-cache';
import type { LevelCache } from '../src/delivery/level-cache';
import type { NotifyLevel } from '../src/preferences/schemas';
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

/** A signal the handlers sent: to whose workflow, for which message, of which kind, how urgent. */
export interface SentSignal {
  workflowId: string;
  messageId: string;
  kind: string;
  urgent: boolean;
}

/**
 * Chat, auth and Temporal as the creation handler sees them: c_1 is a direct conversation of
 * Alice and Bob unless the members are given (then a group), every level is `all` unless
 * `levelOf` says otherwise, no pair is blocked unless `blocked` says so (asked with the sender
 * first), every member was there from the start unless `joinSeqs` gives the number they joined
 * at, and the message ids signalled are collected (with `signals`, each signal in full).
 */
export function chatEventDeps(
  store: DeliveryStore,
  memberIds = ['u_alice', 'u_bob'],
  levelOf: (userId: string) => NotifyLevel = () => 'all',
  blocked: (senderId: string, recipientId: string) => boolean = () => false,
  joinSeqs: Record<string, number> = {},
): { deps: ChatEventDeps; signalled: string[]; signals: SentSignal[] } {
  const signalled: string[] = [];
  const signals: SentSignal[] = [];
  const type = memberIds.length === 2 ? 'direct' : 'group';
  const deps: ChatEventDeps = {
    store,
    directory: {
      conversation: async () => ({
        type,
        memberIds,
        joinSeqs: new Map(memberIds.map((id) => [id, joinSeqs[id] ?? 0])),
      }),
      displayName: async () => 'Alice',
    } as unknown as DirectoryCache,
    // A chat that shows nobody anything: a member event catches nobody up.
    chat: { conversationAs: async () => null, newestMessagesAs: async () => null },
    levels: { levels: async (_c: string, ids: string[]) => ids.map(levelOf) } as unknown as LevelCache,
    blocks: {
      blockedAmong: async (senderId, ids) => new Set(ids.filter((id) => blocked(senderId, id))),
      changedPair: async () => undefined,
    },
    // No invites: a deleted account closes none.
    invites: { accountDeleted: async () => undefined },
    temporal: {
      withDeadline: (_deadline: number, fn: () => Promise<unknown>) => fn(),
      workflow: {
        signalWithStart: async (
          _name: string,
          options: { workflowId: string; signalArgs: [{ messageId: string; kind: string; urgent: boolean }] },
        ) => {
          const [{ messageId, kind, urgent }] = options.signalArgs;
          signalled.push(messageId);
          signals.push({ workflowId: options.workflowId, messageId, kind, urgent });
        },
      },
    } as unknown as Client,
    logger: createLogger('test', 'silent'),
  };
  return { deps, signalled, signals };
}

/**
 * A change board in memory, shared by the caches a test makes: each sees every change at once
 * (the real board, read every second, is tested on FerretDB). `counters` holds the changes by key.
 */
export function memoryBoard(): Pick<ChangeBoard, 'stamp' | 'holds' | 'changed'> & {
  counters: Map<string, number>;
} {
  const counters = new Map<string, number>();
  return {
    counters,
    stamp: (key) => counters.get(key) ?? 0,
    holds: (key, stamp) => (counters.get(key) ?? 0) === stamp,
    changed: async (key) => {
      counters.set(key, (counters.get(key) ?? 0) + 1);
    },
  };
}

/** The token a sidecar shows the app in these tests. */
const APP_TOKEN = 'app-token-for-tests-0123456789';

/**
 * Serves the event routes of one notification instance on a loopback port, closed with the test.
 * Answers a function that delivers one event as the sidecar does (a CloudEvent from `source`, under
 * a fresh id unless one is given) and checks that the route handled it.
 */
export async function serveChatEvents(t: Test, deps: ChatEventDeps, source: string) {
  const app = createHttpApp({ logger: createLogger('test', 'silent'), appApiToken: APP_TOKEN });
  mountChatEvents(app, deps);
  finishHttpApp(app);
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let eventCount = 0;
  return async (route: string, data: object, id = `event-${++eventCount}`) => {
    const res = await fetch(`${base}${route}`, {
      method: 'POST',
      headers: { 'dapr-api-token': APP_TOKEN, 'content-type': 'application/json' },
      body: JSON.stringify({ id, topic: 'test', source, specversion: '1.0', data }),
    });
    t.same(await res.json(), { status: 'SUCCESS' }, `${route} handled`);
  };
}
