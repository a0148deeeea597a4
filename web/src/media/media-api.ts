import { ApiError, api, session } from '../api/http';
import { uploadName } from './upload-name';

export interface MediaView {
  id: string;
  ownerId: string;
  status: 'pending' | 'processing' | 'ready' | 'failed';
  fileName: string;
  contentType: string | null;
  kind: string | null;
  sizeBytes: number | null;
  width: number | null;
  height: number | null;
  hasThumbnail: boolean;
  hasPreview: boolean;
  failure: { code: string; reason?: string } | null;
}

export interface MediaLink {
  url: string;
  expiresAt: string;
  contentType: string;
}

/**
 * Uploads a file through the media service (`POST /api/v1/media?fileName=`), reporting progress.
 * XMLHttpRequest, because fetch cannot tell how much of a body went out.
 */
export function uploadFile(
  file: File,
  onProgress: (fraction: number) => void,
  signal?: AbortSignal,
): Promise<MediaView> {
  const attempt = (token: string | undefined) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', `/api/v1/media?fileName=${encodeURIComponent(uploadName(file.name))}`);
      if (token) xhr.setRequestHeader('authorization', `Bearer ${token}`);
      xhr.setRequestHeader('content-type', file.type || 'application/octet-stream');
      xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
      xhr.onload = () => resolve({ status: xhr.status, body: xhr.responseText });
      xhr.onerror = () => reject(new Error('The upload was interrupted.'));
      xhr.onabort = () => reject(new Error('The upload was cancelled.'));
      signal?.addEventListener('abort', () => xhr.abort());
      xhr.send(file);
    });
  return (async () => {
    let res = await attempt(session.get()?.accessToken);
    if (res.status === 401) {
      const fresh = await session.refresh();
      if (fresh) res = await attempt(fresh.accessToken);
    }
    const body = res.body ? (JSON.parse(res.body) as Record<string, unknown>) : {};
    if (res.status !== 201) {
      throw new ApiError(
        res.status,
        String(body.code ?? 'UNKNOWN'),
        String(body.detail ?? 'The upload failed.'),
      );
    }
    onProgress(1);
    return body as unknown as MediaView;
  })();
}

const views = new Map<string, Promise<MediaView>>();
const links = new Map<string, { link: Promise<MediaLink>; until: number }>();

/** The media's state; `fresh` skips the copy held (after a processing change). */
export function mediaView(id: string, fresh = false): Promise<MediaView> {
  const held = views.get(id);
  if (held && !fresh) return held;
  const next = api<MediaView>(`/media/${id}`);
  views.set(id, next);
  next.catch(() => views.delete(id));
  return next;
}

/** A short-lived read link, reused until a minute before it expires. */
export function mediaLink(id: string, rendition: 'thumbnail' | 'preview' | 'download'): Promise<MediaLink> {
  const key = `${id}/${rendition}`;
  const held = links.get(key);
  if (held && held.until > Date.now()) return held.link;
  const link = api<MediaLink>(`/media/${id}/${rendition}`);
  links.set(key, { link, until: Date.now() + 60_000 });
  link.then(
    (l) => links.set(key, { link, until: Date.parse(l.expiresAt) - 60_000 }),
    () => links.delete(key),
  );
  return link;
}

export function formatBytes(bytes: number | null): string {
  if (bytes === null) return '';
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1_048_576) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${(bytes / 1_048_576).toFixed(1)} MB`;
}
