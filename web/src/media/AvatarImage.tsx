import { useEffect, useState } from 'react';
import { mediaLink } from './media-api';

/**
 * A person's profile picture (the thumbnail of their avatar media), or their initials while it
 * loads, when there is none, or when it cannot be shown.
 */
export function AvatarImage(props: { mediaId: string | null | undefined; initials: string }) {
  const { mediaId, initials } = props;
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    setUrl(null);
    if (!mediaId) return;
    let live = true;
    mediaLink(mediaId, 'thumbnail').then(
      (link) => live && setUrl(link.url),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [mediaId]);
  if (!url) return <>{initials}</>;
  return <img className="avatar-image" src={url} alt="" onError={() => setUrl(null)} />;
}
