import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';

/** Conversation ids: `c_` and 24 lower-case hex digits. */
export const conversationId = z.string().regex(/^c_[0-9a-f]{24}$/, 'must be a conversation id');
/** Message ids: `m_`, the conversation's 24 hex digits, `_`, the message's sequence number. */
export const messageId = z.string().regex(/^m_[0-9a-f]{24}_[1-9][0-9]{0,14}$/, 'must be a message id');

/** Ids issued elsewhere (users by auth, media by media): opaque, URL-safe, bounded. */
export const userId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be a user id');
export const mediaId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be a media id');

/** Chosen by the client for each send, so a retried send is recognised: a UUID fits. */
export const clientMessageId = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'must be 8-64 of [A-Za-z0-9_-]');

export function newConversationId(): string {
  return `c_${randomBytes(12).toString('hex')}`;
}

/**
 * The one direct conversation of a pair has an id derived from the pair, so two concurrent
 * "open" calls insert the same `_id` and the database keeps exactly one.
 */
export function directConversationId(a: string, b: string): string {
  const pair = [a, b].sort().join('\u0000');
  return `c_${createHash('sha256').update(`direct\u0000${pair}`).digest('hex').slice(0, 24)}`;
}
