import { callJson } from './users';
import { eventually } from './stack';

export interface MediaBody {
  id: string;
  ownerId: string;
  status: 'pending' | 'processing' | 'ready' | 'failed';
  fileName: string;
  contentType: string | null;
  kind: string | null;
  sizeBytes: number;
  width: number | null;
  height: number | null;
  durationMs: number | null;
  downloadOnly: boolean;
  hasThumbnail: boolean;
  hasPreview: boolean;
  failure: { code: string; message: string } | null;
  [key: string]: unknown;
}

export interface LinkBody {
  url: string;
  expiresAt: string;
  contentType: string;
  rendition: string;
}

/** The media API through a gateway, as one user. */
export function mediaApi(gatewayUrl: string, token: string) {
  const api = `${gatewayUrl}/api/v1`;
  const call = <T = Record<string, unknown>>(path: string, init: { method?: string; body?: unknown } = {}) =>
    callJson<T>(`${api}${path}`, { ...init, token });
  return {
    call,
    /** Streams bytes through the gateway, as a browser's upload does. */
    async upload(fileName: string, contentType: string, bytes: Buffer) {
      const res = await fetch(`${api}/media?fileName=${encodeURIComponent(fileName)}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': contentType },
        body: bytes,
      });
      const text = await res.text();
      return { status: res.status, body: (text ? JSON.parse(text) : undefined) as MediaBody };
    },
    get: (mediaId: string) => call<MediaBody>(`/media/${mediaId}`),
    link: (mediaId: string, rendition: 'download' | 'thumbnail' | 'preview') =>
      call<LinkBody>(`/media/${mediaId}/${rendition}`),
    /** Waits until processing has finished, ready or failed. */
    settled: (mediaId: string, timeoutMs = 90_000) =>
      eventually(async () => {
        const res = await call<MediaBody>(`/media/${mediaId}`);
        if (res.status !== 200) throw new Error(`status answered ${res.status}`);
        return res.body.status === 'ready' || res.body.status === 'failed' ? res.body : undefined;
      }, timeoutMs),
  };
}

/** Fetches a link's bytes and headers, as a browser following it would. */
export async function fetchLink(url: string) {
  const res = await fetch(url);
  return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
}
