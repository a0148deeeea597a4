import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { DependencyError } from '@parley/service-kit';
import { z } from 'zod';

/** The worker's settings for media processing; each default matches the media service's. */
export const mediaWorkerSettings = {
  /** Azure Storage account (Azurite locally), shared with the media service. */
  AZURE_STORAGE_CONNECTION_STRING: z.string().min(1),
  /** The private container of media blobs. */
  MEDIA_CONTAINER: z.string().default('media'),
  /** Largest image decoded, in pixels over all frames (default 40 megapixels). */
  MEDIA_MAX_IMAGE_PIXELS: z.coerce.number().int().min(1).default(40_000_000),
};

/** The media container; start-up fails when storage cannot be reached. */
export async function connectMediaContainer(
  connectionString: string,
  name: string,
): Promise<ContainerClient> {
  const container = BlobServiceClient.fromConnectionString(connectionString).getContainerClient(name);
  try {
    await container.createIfNotExists();
  } catch (err) {
    throw new DependencyError('azure-blob', 'cannot reach Azure Blob storage', { cause: err });
  }
  return container;
}
