import { randomUUID } from 'node:crypto';
import { type RegisteredUser, callJson, registerAndLogin } from './users';

export interface MessageBody {
  id: string;
  conversationId: string;
  seq: number;
  clientMessageId: string;
  senderId: string;
  text: string;
  [key: string]: unknown;
}

/** REST calls to the chat API through a gateway, as one user. */
export function chatApi(gatewayUrl: string, token: string) {
  const api = `${gatewayUrl}/api/v1`;
  const call = <T = Record<string, unknown>>(path: string, init: { method?: string; body?: unknown } = {}) =>
    callJson<T>(`${api}${path}`, { ...init, token });
  return {
    call,
    group: (name: string, memberIds: string[]) =>
      call<{ id: string }>('/conversations', { body: { type: 'group', name, memberIds } }),
    direct: (userId: string) => call<{ id: string }>('/conversations', { body: { type: 'direct', userId } }),
    send: (conversationId: string, text: string, clientMessageId: string = randomUUID()) =>
      call<MessageBody>(`/conversations/${conversationId}/messages`, { body: { clientMessageId, text } }),
    history: (conversationId: string, query = '') =>
      call<{ items: MessageBody[]; lastSeq: number }>(`/conversations/${conversationId}/messages${query}`),
  };
}

/** Every message of a conversation, oldest first, read page by page after each last sequence. */
export async function allMessages(gatewayUrl: string, token: string, conversationId: string) {
  const api = chatApi(gatewayUrl, token);
  const all: MessageBody[] = [];
  for (;;) {
    const after = all.at(-1)?.seq ?? 0;
    const page = await api.history(conversationId, `?after=${after}&limit=200`);
    if (page.status !== 200) throw new Error(`history answered ${page.status}`);
    all.push(...page.body.items);
    if (page.body.items.length < 200) return all;
  }
}

/**
 * Registers `count` fresh users, one after another. A registration that fails is tried again
 * under a new name: on a loaded machine the sidecar may retry a slow registration that in fact
 * succeeded, and the retry then finds the name taken.
 */
export async function registerUsers(gatewayUrl: string, count: number): Promise<RegisteredUser[]> {
  const users: RegisteredUser[] = [];
  while (users.length < count) {
    let lastError: unknown;
    for (let attempt = 0; attempt < 3 && users.length < count; attempt++) {
      try {
        users.push(await registerAndLogin(gatewayUrl));
        lastError = undefined;
        break;
      } catch (err) {
        lastError = err;
      }
    }
    if (lastError) throw lastError;
  }
  return users;
}
