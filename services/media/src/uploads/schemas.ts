import { fileName, mediaType } from '@parley/contracts';
import { z } from 'zod';

export const directUploadBody = z
  .object({ fileName, contentType: mediaType, sizeBytes: z.number().int().min(1) })
  .strict();

/** Azure block ids: base64 of at most 64 bytes, all of one length within a blob. */
const blockId = z.string().regex(/^[A-Za-z0-9+/]{1,88}={0,2}$/, 'must be a base64 block id');

export const completeUploadBody = z.object({ blockIds: z.array(blockId).min(1).max(50_000) }).strict();
