import {
  hasNoDirectionOverride,
  hasNoLoneSurrogate,
  hasNoStrayControl,
  hasVisibleCharacter,
} from '@parley/contracts';
import { z } from 'zod';
import { conversationId, mediaId, userId } from '../ids';
import { listCursor } from './list-cursor';

/** Direction overrides, isolates and marks (a name could pass for another) and control characters. */
const DECEPTIVE_OR_CONTROL = /[\p{Cc}\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/u;
const name = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .refine((value) => !DECEPTIVE_OR_CONTROL.test(value), {
    message: 'must not contain control characters or direction overrides',
  })
  .refine(hasNoLoneSurrogate, { message: 'must not contain unpaired surrogates' })
  .refine(hasVisibleCharacter, { message: 'must contain a visible character' });
/**
 * Empty (or blank, which trims to empty) clears the topic, as null does. Unlike a name it may run
 * over several lines.
 */
const topic = z
  .string()
  .trim()
  .max(500)
  .refine(hasNoStrayControl, { message: 'must not contain control characters but tabs and line breaks' })
  .refine(hasNoDirectionOverride, { message: 'must not contain direction embeddings or overrides' })
  .refine(hasNoLoneSurrogate, { message: 'must not contain unpaired surrogates' })
  .refine((value) => value === '' || hasVisibleCharacter(value), {
    message: 'must contain a visible character',
  })
  .nullable();

export const conversationParams = z.object({ conversationId }).strict();
export const memberParams = z.object({ conversationId, userId }).strict();

export const createConversationBody = z.discriminatedUnion('type', [
  z.object({ type: z.literal('direct'), userId }).strict(),
  z
    .object({
      type: z.literal('group'),
      name,
      topic: topic.optional(),
      avatarMediaId: mediaId.nullable().optional(),
      memberIds: z.array(userId).max(999).default([]),
      requiresApproval: z.boolean().optional(),
    })
    .strict(),
]);

export const listConversationsQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(100).default(50),
    before: listCursor.optional(),
    archived: z.enum(['true', 'false']).optional(),
  })
  .strict();

export const updateConversationBody = z
  .object({
    name: name.optional(),
    topic: topic.optional(),
    avatarMediaId: mediaId.nullable().optional(),
    requiresApproval: z.boolean().optional(),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, 'name, topic, avatarMediaId or requiresApproval is required');

export const settingsBody = z
  .object({ muted: z.boolean().optional(), archived: z.boolean().optional() })
  .strict();

export const addMembersBody = z.object({ userIds: z.array(userId).min(1).max(100) }).strict();

export const roleBody = z.object({ role: z.enum(['admin', 'member']) }).strict();

export const ownerBody = z.object({ userId }).strict();
