import { DependencyError, type Sidecar } from '@parley/service-kit';
import { z } from 'zod';

/** Which conversations a user belongs to, asked of chat at the moment of each query. */
export interface MembershipSource {
  conversationIdsOf(userId: string): Promise<string[]>;
}

const id = z.string().min(1).max(64);

/** Chat has answered with a list of ids, and with a list of conversations carrying their id. */
const chatAnswer = z.union([
  z.object({ conversationIds: z.array(id) }).transform((a) => a.conversationIds),
  z
    .object({ conversations: z.array(z.object({ id }).loose()) })
    .transform((a) => a.conversations.map((c) => c.id)),
]);

/**
 * Asks chat, through service invocation, at query time: a member who just left or was removed
 * finds nothing new at once, without waiting for an event to reach a projection here. An answer
 * of any other shape fails the query rather than guessing at a membership.
 */
export function chatMembership(sidecar: Sidecar): MembershipSource {
  return {
    async conversationIdsOf(userId) {
      const body = await sidecar.invokeOk<unknown>(
        'chat',
        `internal/v1/users/${encodeURIComponent(userId)}/conversation-ids`,
        { signal: AbortSignal.timeout(5_000) },
      );
      const parsed = chatAnswer.safeParse(body);
      if (!parsed.success) throw new DependencyError('chat', 'chat answered an unexpected membership shape');
      return parsed.data;
    },
  };
}
