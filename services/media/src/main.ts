import { BlobServiceClient } from '@azure/storage-blob';
import { Topics } from '@parley/contracts';
import {
  DependencyError,
  baseConfigSchema,
  connectMongo,
  mongoUrlSchema,
  mountProbe,
  runService,
} from '@parley/service-kit';
import { z } from 'zod';

const configSchema = baseConfigSchema.extend({
  MONGODB_URL: mongoUrlSchema,
  /** Azure Storage account (Azurite locally). */
  AZURE_STORAGE_CONNECTION_STRING: z.string().min(1),
  /** Private container the media blobs live in; created at start when missing. */
  MEDIA_CONTAINER: z.string().default('media'),
});

/** The media service: uploads to Azure Blob storage, processing and access-checked links. */
void runService({
  name: 'media',
  configSchema,
  topics: [Topics.platformProbe],
  async build({ config, app, sidecar }) {
    const mongo = await connectMongo(config.MONGODB_URL, 'parley_media');
    const blobs = BlobServiceClient.fromConnectionString(config.AZURE_STORAGE_CONNECTION_STRING);
    const container = blobs.getContainerClient(config.MEDIA_CONTAINER);
    try {
      await container.createIfNotExists();
    } catch (err) {
      await mongo.close();
      throw new DependencyError('azure-blob', 'cannot reach Azure Blob storage', { cause: err });
    }
    mountProbe(app, 'media', sidecar);
    const blobCheck = {
      name: 'azure-blob',
      check: async () => {
        await container.getProperties();
      },
    };
    return { checks: [mongo.check, blobCheck], close: mongo.close };
  },
});
