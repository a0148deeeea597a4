import { baseConfigSchema, mongoUrlSchema } from '@parley/service-kit';
import { z } from 'zod';

const MB = 1024 * 1024;

export const mediaConfigSchema = baseConfigSchema.extend({
  MONGODB_URL: mongoUrlSchema,
  /** Azure Storage account (Azurite locally); its account key signs the SAS links. */
  AZURE_STORAGE_CONNECTION_STRING: z.string().min(1),
  /** Private container the media blobs live in; created at start when missing. */
  MEDIA_CONTAINER: z.string().default('media'),
  /** host:port of the Temporal frontend, where processing workflows are started. */
  TEMPORAL_ADDRESS: z.string().min(1),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  /** Largest single upload in bytes (default 100 MiB). */
  MEDIA_MAX_UPLOAD_BYTES: z.coerce
    .number()
    .int()
    .min(1)
    .default(100 * MB),
  /** Bytes a user may keep stored over all their media (default 1 GiB). */
  MEDIA_QUOTA_BYTES: z.coerce
    .number()
    .int()
    .min(1)
    .default(1024 * MB),
  /** Uploads a user may start per hour (default 120). */
  MEDIA_UPLOADS_PER_HOUR: z.coerce.number().int().min(1).default(120),
  /** Lifetime of a download, thumbnail or preview link, in seconds (default 5 minutes). */
  MEDIA_LINK_SECONDS: z.coerce.number().int().min(10).max(86_400).default(300),
  /** Lifetime of a direct upload's write link, in seconds (default 15 minutes). */
  MEDIA_UPLOAD_LINK_SECONDS: z.coerce.number().int().min(10).max(86_400).default(900),
  /** How often the sweep looks for unfinished work and unreferenced media, in seconds (default 60). */
  MEDIA_SWEEP_SECONDS: z.coerce.number().min(0.5).default(60),
});

export type MediaConfig = z.infer<typeof mediaConfigSchema>;
