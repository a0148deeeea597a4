import { useEffect, useState } from 'react';
import type { Attachment } from '../api/types';
import { type MediaView, formatBytes, mediaLink, mediaView } from './media-api';
import { MediaViewer } from './MediaViewer';

/** A message's attachments: thumbnails of images, a chip for other files, each with its state. */
export function Attachments({ attachments }: { attachments: Attachment[] }) {
  const [open, setOpen] = useState<MediaView | null>(null);
  return (
    <>
      <ul className="attachments" aria-label="Attachments">
        {attachments.map((a) => (
          <li key={a.mediaId}>
            <AttachmentItem attachment={a} onOpen={setOpen} />
          </li>
        ))}
      </ul>
      {open && <MediaViewer media={open} onClose={() => setOpen(null)} />}
    </>
  );
}

function AttachmentItem({ attachment, onOpen }: { attachment: Attachment; onOpen: (m: MediaView) => void }) {
  const [media, setMedia] = useState<MediaView | null>(null);
  const [thumbnail, setThumbnail] = useState<string | null>(null);
  const [error, setError] = useState(false);
  // The message's own copy of the status changes (message:edited) when processing ends.
  const status = attachment.status;
  useEffect(() => {
    let live = true;
    mediaView(attachment.mediaId, status === 'ready' || status === 'failed').then(
      (m) => live && setMedia(m),
      () => live && setError(true),
    );
    return () => {
      live = false;
    };
  }, [attachment.mediaId, status]);
  useEffect(() => {
    if (media?.status !== 'ready' || !media.hasThumbnail) return;
    let live = true;
    mediaLink(media.id, 'thumbnail').then(
      (l) => live && setThumbnail(l.url),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [media]);
  if (error) return <span className="attachment-chip">Attachment unavailable</span>;
  if (!media) return <span className="attachment-chip">Loading attachment…</span>;
  const state = status ?? media.status;
  if (state === 'failed' || media.status === 'failed') {
    return (
      <span className="attachment-chip failed" role="note">
        {media.fileName}: could not be processed
      </span>
    );
  }
  if (media.status !== 'ready') {
    return (
      <span className="attachment-chip processing" aria-busy="true">
        <span className="spinner" aria-hidden="true" /> {media.fileName}: processing…
      </span>
    );
  }
  if (thumbnail) {
    return (
      <button
        type="button"
        className="thumbnail"
        aria-label={`Open ${media.fileName}`}
        onClick={() => onOpen(media)}
      >
        <img src={thumbnail} alt={media.fileName} loading="lazy" referrerPolicy="no-referrer" />
      </button>
    );
  }
  return (
    <button type="button" className="attachment-chip" onClick={() => onOpen(media)}>
      📎 {media.fileName} <small>{formatBytes(media.sizeBytes)}</small>
    </button>
  );
}
