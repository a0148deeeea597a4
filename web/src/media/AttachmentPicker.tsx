import { useRef } from 'react';
import { describeError } from '../api/http';
import { uploadFile } from './media-api';

export interface Upload {
  localId: string;
  name: string;
  progress: number;
  mediaId?: string;
  error?: string;
}

const MAX_FILES = 10;

/**
 * Starts uploads for picked or dropped files and reports each one's progress; the composer sends
 * the finished ones' media ids with the next message.
 */
export function useUploads(setUploads: (change: (list: Upload[]) => Upload[]) => void) {
  return (files: FileList | File[]) => {
    for (const file of [...files].slice(0, MAX_FILES)) {
      const localId = crypto.randomUUID();
      const patch = (p: Partial<Upload>) =>
        setUploads((list) => list.map((u) => (u.localId === localId ? { ...u, ...p } : u)));
      setUploads((list) => [...list, { localId, name: file.name, progress: 0 }].slice(-MAX_FILES));
      uploadFile(file, (progress) => patch({ progress })).then(
        (media) => patch({ mediaId: media.id, progress: 1 }),
        (err: unknown) => patch({ error: describeError(err) }),
      );
    }
  };
}

/** The paperclip button, and the list of uploads waiting to go with the next message. */
export function AttachmentPicker(props: {
  uploads: Upload[];
  onFiles: (files: FileList) => void;
  onRemove: (localId: string) => void;
}) {
  const input = useRef<HTMLInputElement>(null);
  return (
    <>
      <input
        ref={input}
        type="file"
        multiple
        hidden
        aria-hidden="true"
        tabIndex={-1}
        data-testid="attach-input"
        onChange={(e) => {
          if (e.target.files?.length) props.onFiles(e.target.files);
          e.target.value = '';
        }}
      />
      <button
        type="button"
        className="secondary attach"
        aria-label="Attach files"
        onClick={() => input.current?.click()}
      >
        <svg viewBox="0 0 24 24" aria-hidden="true" focusable="false" width="20" height="20">
          <path
            fill="currentColor"
            d="M16.5 6.5v10a4.5 4.5 0 0 1-9 0V5a3 3 0 0 1 6 0v10.5a1.5 1.5 0 0 1-3 0V6.5H9v9a3 3 0 0 0 6 0V5a4.5 4.5 0 0 0-9 0v11.5a6 6 0 0 0 12 0v-10z"
          />
        </svg>
      </button>
      {props.uploads.length > 0 && (
        <ul className="uploads" aria-label="Files to send">
          {props.uploads.map((u) => (
            <li key={u.localId} className={u.error ? 'failed' : u.mediaId ? 'done' : 'uploading'}>
              <span className="upload-name">{u.name}</span>
              {u.error ? (
                <span role="alert" className="error">
                  {u.error}
                </span>
              ) : u.mediaId ? (
                <span className="upload-state">ready to send</span>
              ) : (
                <progress max={1} value={u.progress} aria-label={`Uploading ${u.name}`} />
              )}
              <button type="button" aria-label={`Remove ${u.name}`} onClick={() => props.onRemove(u.localId)}>
                ✕
              </button>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
