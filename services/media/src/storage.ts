import {
  BlobSASPermissions,
  BlobServiceClient,
  type BlockBlobClient,
  type ContainerClient,
  RestError,
} from '@azure/storage-blob';
import { DependencyError, type ReadinessCheck } from '@parley/service-kit';
import { allMediaBlobs, mediaBlobNames } from '@parley/workflows';

/**
 * Where a direct upload's link writes. Only the media service reads it, and only to copy checked
 * bytes to the original; nothing is processed or served from it.
 */
function stagingName(mediaId: string): string {
  return `${mediaId}/upload`;
}

/** The original is never served; should anyone reach it, it is an opaque download. */
const OPAQUE_HEADERS = { blobContentType: 'application/octet-stream', blobContentDisposition: 'attachment' };

/** Lifetime of the read link storage copies the staging blob through. */
const COPY_SOURCE_SECONDS = 10 * 60;

/** The staging blob was written again between its check and its copy. */
export class StagedBlobChanged extends Error {
  constructor() {
    super('the staging blob changed while it was being copied');
    this.name = 'StagedBlobChanged';
  }
}

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

  /**
   * A write-only link for a direct upload: create and write the staging blob, nothing else. The
   * link cannot be revoked, so it never covers a blob that is processed or served; `complete`
   * copies the checked bytes from staging to the original.
   */
  async uploadLink(mediaId: string, expiresOn: Date): Promise<BlobLink> {
    const url = await this.staging(mediaId).generateSasUrl({
      permissions: BlobSASPermissions.parse('cw'),
      startsOn: new Date(Date.now() - 60_000),
      expiresOn,
    });
    return { url, expiresAt: expiresOn.toISOString() };
  }

  /** The staged and committed blocks of a direct upload; none before the first block arrives. */
  async blocks(mediaId: string) {
    try {
      const list = await this.staging(mediaId).getBlockList('all');
      const view = (blocks: { name: string; size: number }[] | undefined) =>
        (blocks ?? []).map((b) => ({ blockId: b.name, sizeBytes: b.size }));
      return { committed: view(list.committedBlocks), uncommitted: view(list.uncommittedBlocks) };
    } catch (err) {
      if (err instanceof RestError && err.statusCode === 404) return { committed: [], uncommitted: [] };
      throw err;
    }
  }

  /**
   * Commits blocks on the staging blob and says what it holds now. The link may also write the
   * blob whole, so the size and ETag read back, not the blocks listed, describe the bytes.
   */
  async commitStaged(mediaId: string, blockIds: string[]): Promise<{ sizeBytes: number; etag: string }> {
    const staging = this.staging(mediaId);
    await staging.commitBlockList(blockIds, { blobHTTPHeaders: OPAQUE_HEADERS });
    const properties = await staging.getProperties();
    return { sizeBytes: properties.contentLength ?? 0, etag: properties.etag ?? '' };
  }

  /**
   * Copies the staging blob to the original inside storage, only while it still has the ETag
   * that was checked (so also with the headers committed), and returns the size of the copy.
   */
  async promoteStaged(mediaId: string, etag: string): Promise<number> {
    const source = await this.staging(mediaId).generateSasUrl({
      permissions: BlobSASPermissions.parse('r'),
      startsOn: new Date(Date.now() - 60_000),
      expiresOn: new Date(Date.now() + COPY_SOURCE_SECONDS * 1000),
    });
    const original = this.original(mediaId);
    try {
      const copy = await original.beginCopyFromURL(source, { sourceConditions: { ifMatch: etag } });
      await copy.pollUntilDone();
    } catch (err) {
      if (err instanceof RestError && err.statusCode === 412) throw new StagedBlobChanged();
      throw err;
    }
    return (await original.getProperties()).contentLength ?? 0;
  }

  /**
   * Empties and deletes the staging blob. Committing an empty list first drops uncommitted
   * blocks, which deleting alone leaves to storage's week-long collection.
   */
  async discardStaged(mediaId: string): Promise<void> {
    const staging = this.staging(mediaId);
    await staging.commitBlockList([]);
    await staging.deleteIfExists();
  }

  /** Removes every blob of a media item; repeating it is harmless. */
  async remove(mediaId: string): Promise<void> {
    const names = [...allMediaBlobs(mediaId), stagingName(mediaId)];
    await Promise.all(names.map((name) => this.blob(name).deleteIfExists()));
  }

  private staging(mediaId: string): BlockBlobClient {
    return this.container.getBlockBlobClient(stagingName(mediaId));
  }
}
