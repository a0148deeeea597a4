import { randomBytes } from 'node:crypto';
import { z } from 'zod';

/** Media ids: `md_` and 24 lower-case hex digits; blob names derive from them. */
export const mediaId = z.string().regex(/^md_[0-9a-f]{24}$/, 'must be a media id');

/** Ids issued by the auth service: opaque, URL-safe, bounded. */
export const userId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be a user id');

export function newMediaId(): string {
  return `md_${randomBytes(12).toString('hex')}`;
}
