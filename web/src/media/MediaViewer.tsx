import { useEffect, useRef, useState } from 'react';
import { describeError } from '../api/http';
import { type MediaView, formatBytes, mediaLink } from './media-api';

/** A modal viewer: the preview of an image (or the file itself for video and audio), and a download. */
export function MediaViewer({ media, onClose }: { media: MediaView; onClose: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [src, setSrc] = useState<string | null>(null);
  const [download, setDownload] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    dialog.current?.showModal();
    const shown = media.hasPreview ? 'preview' : 'download';
    if (media.hasPreview || media.kind === 'video' || media.kind === 'audio' || media.kind === 'image') {
      mediaLink(media.id, shown).then(
        (l) => setSrc(l.url),
        (err: unknown) => setError(describeError(err)),
      );
    }
    mediaLink(media.id, 'download').then(
      (l) => setDownload(l.url),
      (err: unknown) => setError(describeError(err)),
    );
  }, [media]);
  return (
    <dialog ref={dialog} className="viewer" aria-label={media.fileName} onClose={onClose}>
      <header>
        <h2>{media.fileName}</h2>
        <span>{formatBytes(media.sizeBytes)}</span>
        <button type="button" aria-label="Close" onClick={() => dialog.current?.close()}>
          ✕
        </button>
      </header>
      <div className="viewer-body">
        {src && media.kind === 'video' && <video src={src} controls />}
        {src && media.kind === 'audio' && <audio src={src} controls />}
        {src && media.kind !== 'video' && media.kind !== 'audio' && <img src={src} alt={media.fileName} />}
        {!src && !error && media.kind !== 'image' && <p>No preview for this file.</p>}
        {error && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
      </div>
      {download && (
        <a
          className="button"
          href={download}
          download={media.fileName}
          rel="noopener noreferrer"
          target="_blank"
        >
          Download
        </a>
      )}
    </dialog>
  );
}
