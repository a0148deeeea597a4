import type { BlobHTTPHeaders } from '@azure/storage-blob';

/**
 * Where a media item's blobs live. Names derive from the media id alone, so every step of the
 * processing can be repeated and lands on the same blobs.
 */
export const mediaBlobNames = {
  /** The bytes as uploaded; never served, removed once a cleaned copy exists. */
  original: (mediaId: string) => `${mediaId}/original`,
  /** An image re-encoded without its metadata: what downloads of an image serve. */
  file: (mediaId: string) => `${mediaId}/file`,
  thumbnail: (mediaId: string) => `${mediaId}/thumbnail.webp`,
  preview: (mediaId: string) => `${mediaId}/preview.webp`,
};

/** Every blob a media item may have, for deletion. */
export function allMediaBlobs(mediaId: string): string[] {
  return Object.values(mediaBlobNames).map((name) => name(mediaId));
}

/** Only these are ever shown inline by a browser; everything else downloads as a file. */
export function servedInline(mime: string, active: boolean): boolean {
  return !active && /^(image|video|audio)\//.test(mime);
}

/**
 * `Content-Disposition` with the file name made safe: an ASCII fallback without quotes, slashes
 * or control characters, and the exact name in RFC 5987 form.
 */
export function contentDisposition(inline: boolean, fileName: string): string {
  const fallback = fileName.replace(/[^\x20-\x7e]|["\\/;]/g, '_').slice(0, 150) || 'file';
  const exact = encodeURIComponent(fileName).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16)}`);
  return `${inline ? 'inline' : 'attachment'}; filename="${fallback}"; filename*=UTF-8''${exact}`;
}

/**
 * Headers stored on a served blob, so links to it answer with them. Active content is labelled
 * `application/octet-stream` and disposed as an attachment: no browser renders or runs it.
 */
export function servedHeaders(mime: string, active: boolean, fileName: string): BlobHTTPHeaders {
  const inline = servedInline(mime, active);
  return {
    blobContentType: active ? 'application/octet-stream' : mime,
    blobContentDisposition: contentDisposition(inline, fileName),
    blobCacheControl: 'private, max-age=3600',
  };
}
