import type { Attachment } from '../api/types';

/**
 * Attachments of a message.
 * TODO(media): thumbnails and the viewer need the media service's API; until then each
 * attachment is listed by id.
 */
export function Attachments({ attachments }: { attachments: Attachment[] }) {
  return (
    <ul className="attachments" aria-label="Attachments">
      {attachments.map((a) => (
        <li key={a.mediaId} className="attachment-chip">
          📎 Attachment
        </li>
      ))}
    </ul>
  );
}
