import { useEffect, useState } from 'react';
import { ApiError } from '../api/http';
import { mediaLink } from './media-api';

/**
 * Waits between asks while a picture is still being processed (a just-set avatar is; on a busy
 * server that can take a while): about three minutes in all, then the initials stay.
 */
const NOT_READY_RETRY_MS = [1_000, 2_000, 4_000, 8_000, ...Array<number>(11).fill(15_000)];

/**
 * A person's profile picture (the thumbnail of their avatar media), or their initials while it
 * loads, when there is none, or when it cannot be shown. A picture still being processed is
 * asked for again a few times, so a new avatar appears without a reload.
 */
export function AvatarImage(props: { mediaId: string | null | undefined; initials: string }) {
  const { mediaId, initials } = props;
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    setUrl(null);
    if (!mediaId) return;
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const ask = (attempt: number) => {
      mediaLink(mediaId, 'thumbnail').then(
        (link) => live && setUrl(link.url),
        (err: unknown) => {
          const wait = NOT_READY_RETRY_MS[attempt];
          if (live && wait !== undefined && err instanceof ApiError && err.code === 'MEDIA_NOT_READY') {
            timer = setTimeout(() => ask(attempt + 1), wait);
          }
        },
      );
    };
    ask(0);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [mediaId]);
  if (!url) return <>{initials}</>;
  return <img className="avatar-image" src={url} alt="" onError={() => setUrl(null)} />;
}
