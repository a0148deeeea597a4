import type { ChatMessageView } from '@parley/contracts';
import type { Sidecar } from '@parley/service-kit';
import { SendBatcher, type SendBatcherOptions } from './send-batcher';

const TIMEOUT_MS = 10_000;

/** What the real-time layer asks the chat service, acting as a user it verified. */
export interface ChatClient {
  conversations(userId: string): Promise<{ id: string; lastSeq: number }[]>;
  /** Users who may see the user's presence and typing, and co-members hidden by a block. */
  audience(userId: string): Promise<{ userIds: string[]; hidden: string[] }>;
  history(
    userId: string,
    conversationId: string,
    after: number,
    limit: number,
  ): Promise<{ items: ChatMessageView[]; lastSeq: number }>;
  /** A message the user emitted, stored by chat; sends made while chat is busy go in batches. */
  send(userId: string, conversationId: string, body: unknown): Promise<ChatMessageView>;
  receipt(
    userId: string,
    sessionId: string,
    conversationId: string,
    body: { kind: 'delivered' | 'read'; seq: number },
  ): Promise<{ kind: string; seq: number }>;
}

export function sidecarChatClient(
  sidecar: Sidecar,
  sendOptions: Pick<SendBatcherOptions, 'maxQueued'> = {},
): ChatClient {
  const as = (userId: string, path: string) => `internal/v1/users/${encodeURIComponent(userId)}/${path}`;
  const session = (sessionId: string) => ({ 'x-parley-session': sessionId });
  const sends = new SendBatcher(sidecar, { ...sendOptions, timeoutMs: TIMEOUT_MS });
  return {
    async conversations(userId) {
      const body = await sidecar.invokeOk<{ conversations: { id: string; lastSeq: number }[] }>(
        'chat',
        as(userId, 'conversation-ids'),
        { signal: AbortSignal.timeout(TIMEOUT_MS) },
      );
      return body.conversations;
    },
    audience(userId) {
      return sidecar.invokeOk<{ userIds: string[]; hidden: string[] }>('chat', as(userId, 'audience'), {
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    },
    async history(userId, conversationId, after, limit) {
      const { items, lastSeq } = await sidecar.invokeOk<{ items: ChatMessageView[]; lastSeq: number }>(
        'chat',
        as(userId, `conversations/${conversationId}/messages?after=${after}&limit=${limit}`),
        { signal: AbortSignal.timeout(TIMEOUT_MS) },
      );
      return { items, lastSeq };
    },
    send(userId, conversationId, body) {
      return sends.send(userId, conversationId, body);
    },
    receipt(userId, sessionId, conversationId, body) {
      return sidecar.invokeOk('chat', as(userId, `conversations/${conversationId}/receipts`), {
        method: 'POST',
        body,
        headers: session(sessionId),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    },
  };
}
