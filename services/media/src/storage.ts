import {
  BlobSASPermissions,
  BlobServiceClient,
  type BlockBlobClient,
  type ContainerClient,
  RestError,
} from '@azure/storage-blob';
import { DependencyError, type ReadinessCheck } from '@parley/service-kit';
import { allMediaBlobs, mediaBlobNames } from '@parley/workflows';

/** A link to one blob, valid for a short while. */
export interface BlobLink {
  url: string;
  expiresAt: string;
}

/**
 * The private media container and the SAS links into it. A link names one blob, grants only what
 * its use needs (read, or create and write), and expires soon; the account key that signs it
 * comes from the connection string and never leaves the service.
 */
export class MediaStorage {
  private constructor(readonly container: ContainerClient) {}

  static async connect(connectionString: string, name: string): Promise<MediaStorage> {
    const container = BlobServiceClient.fromConnectionString(connectionString).getContainerClient(name);
    try {
      // No access option: the container and its blobs are private.
      await container.createIfNotExists();
    } catch (err) {
      throw new DependencyError('azure-blob', 'cannot reach Azure Blob storage', { cause: err });
    }
    return new MediaStorage(container);
  }

  get check(): ReadinessCheck {
    return {
      name: 'azure-blob',
      check: async () => {
        await this.container.getProperties();
      },
    };
  }

  original(mediaId: string): BlockBlobClient {
    return this.container.getBlockBlobClient(mediaBlobNames.original(mediaId));
  }

  blob(name: string): BlockBlobClient {
    return this.container.getBlockBlobClient(name);
  }

  /** A read-only link; the response headers are pinned in the signature as well as on the blob. */
  async readLink(
    name: string,
    seconds: number,
    headers: { contentType: string; contentDisposition?: string },
  ): Promise<BlobLink> {
    const expiresOn = new Date(Date.now() + seconds * 1000);
    const url = await this.blob(name).generateSasUrl({
      permissions: BlobSASPermissions.parse('r'),
      startsOn: new Date(Date.now() - 60_000),
      expiresOn,
      contentType: headers.contentType,
      ...(headers.contentDisposition ? { contentDisposition: headers.contentDisposition } : {}),
    });
    return { url, expiresAt: expiresOn.toISOString() };
  }

  /** A write-only link to the original blob of a direct upload: stage blocks, nothing else. */
  async uploadLink(mediaId: string, seconds: number): Promise<BlobLink> {
    const expiresOn = new Date(Date.now() + seconds * 1000);
    const url = await this.original(mediaId).generateSasUrl({
      permissions: BlobSASPermissions.parse('cw'),
      startsOn: new Date(Date.now() - 60_000),
      expiresOn,
    });
    return { url, expiresAt: expiresOn.toISOString() };
  }

  /** The staged and committed blocks of a direct upload; none before the first block arrives. */
  async blocks(mediaId: string) {
    try {
      const list = await this.original(mediaId).getBlockList('all');
      const view = (blocks: { name: string; size: number }[] | undefined) =>
        (blocks ?? []).map((b) => ({ blockId: b.name, sizeBytes: b.size }));
      return { committed: view(list.committedBlocks), uncommitted: view(list.uncommittedBlocks) };
    } catch (err) {
      if (err instanceof RestError && err.statusCode === 404) return { committed: [], uncommitted: [] };
      throw err;
    }
  }

  /** Removes every blob of a media item; repeating it is harmless. */
  async remove(mediaId: string): Promise<void> {
    await Promise.all(allMediaBlobs(mediaId).map((name) => this.blob(name).deleteIfExists()));
  }
}
