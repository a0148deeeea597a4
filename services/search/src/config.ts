import { baseConfigSchema, mongoUrlSchema } from '@parley/service-kit';
import { z } from 'zod';

export const searchConfigSchema = baseConfigSchema
  .extend({
    /** MongoDB deployment; this service keeps its ledger and documents in `parley_search`. */
    MONGODB_URL: mongoUrlSchema,
    /** A Typesense server; when set it replaces the embedded engine. */
    TYPESENSE_URL: z.url().optional(),
    /** Typesense's API key; required with TYPESENSE_URL. */
    TYPESENSE_API_KEY: z.string().min(1).optional(),
  })
  .refine((c) => !c.TYPESENSE_URL || c.TYPESENSE_API_KEY, {
    message: 'is required with TYPESENSE_URL',
    path: ['TYPESENSE_API_KEY'],
  });

export type SearchConfig = z.infer<typeof searchConfigSchema>;
