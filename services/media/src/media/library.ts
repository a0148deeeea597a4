import type { Readable } from 'node:stream';
import { MediaNotFoundError, MediaStateError } from '../errors';
import type { BlobLink, MediaStorage } from '../storage';
import type { MediaDoc, MediaStore } from '../store';
import type { ShareDirectory } from './access';
import { contentDisposition, servedInline } from '@parley/workflows';

export type Rendition = 'download' | 'thumbnail' | 'preview';

export interface LibraryDeps {
  store: MediaStore;
  storage: MediaStorage;
  shares: ShareDirectory;
  linkSeconds: number;
}

export interface MediaLink extends BlobLink {
  rendition: Rendition;
  contentType: string;
}

/**
 * Reading media: its status, and links to its renditions. Every call checks the caller: the
 * owner, or a member of a conversation where the media was shared, or, for the thumbnail and
 * preview of a profile or group picture, any signed-in user. Anyone else is told the media does not
 * exist, as if the id were unknown.
 */
export class Library {
  constructor(private readonly deps: LibraryDeps) {}

  /** `asAvatar`: a thumbnail or preview is asked for, which every user may see of an avatar. */
  async requireVisible(userId: string, mediaId: string, asAvatar = false): Promise<MediaDoc> {
    const doc = await this.deps.store.media.findOne({ _id: mediaId });
    if (!doc || doc.deleting) throw new MediaNotFoundError(mediaId);
    if (doc.ownerId === userId) return doc;
    // An avatar still being processed has no kind yet: it is visible (and answers "not ready")
    // until its bytes say whether it is an image.
    const picture = doc.avatarOf === doc.ownerId || (doc.pictureOf ?? []).length > 0;
    if (asAvatar && picture && (doc.kind === 'image' || doc.kind === null)) return doc;
    // Only uploaded media can have been shared; an open upload is its owner's alone.
    if (doc.status === 'uploading' || doc.status === 'pending') throw new MediaNotFoundError(mediaId);
    if (!(await this.deps.shares.canSee(userId, mediaId))) throw new MediaNotFoundError(mediaId);
    return doc;
  }

  /** A short-lived read-only link to one rendition of ready media. */
  async link(userId: string, mediaId: string, rendition: Rendition): Promise<MediaLink> {
    const doc = await this.requireReady(userId, mediaId, rendition !== 'download');
    const blobs = doc.blobs!;
    const name = rendition === 'download' ? blobs.file : blobs[rendition];
    if (!name) {
      throw new MediaStateError('MEDIA_RENDITION_MISSING', `This media has no ${rendition}.`, {
        rendition,
      });
    }
    const contentType = rendition === 'download' ? doc.contentType! : 'image/webp';
    const inline = rendition !== 'download' || servedInline(contentType, doc.downloadOnly);
    const link = await this.deps.storage.readLink(name, this.deps.linkSeconds, {
      contentType,
      contentDisposition: contentDisposition(inline, doc.fileName),
    });
    return { ...link, rendition, contentType };
  }

  /**
   * The served file itself, for clients that cannot reach storage: always as an attachment,
   * with the headers that keep a browser from rendering or sniffing it.
   */
  async content(
    userId: string,
    mediaId: string,
  ): Promise<{ doc: MediaDoc; body: Readable; length: number | undefined }> {
    const doc = await this.requireReady(userId, mediaId);
    const download = await this.deps.storage.blob(doc.blobs!.file).download(0);
    // Storage that does not say the length leaves it unsaid: the answer is then sent in chunks.
    return { doc, body: download.readableStreamBody as Readable, length: download.contentLength };
  }

  private async requireReady(userId: string, mediaId: string, asAvatar = false): Promise<MediaDoc> {
    const doc = await this.requireVisible(userId, mediaId, asAvatar);
    if (doc.status !== 'ready' || !doc.blobs) {
      throw new MediaStateError('MEDIA_NOT_READY', `This media is ${doc.status}.`, { status: doc.status });
    }
    return doc;
  }
}
