/**
 * Picks files to attach to the next message.
 * TODO(media): uploading needs the media service's API (/api/v1/media); until it exists the
 * composer sends text only and this renders nothing.
 */
export function AttachmentPicker(_props: {
  conversationId: string;
  value: { mediaId: string }[];
  onChange: (value: { mediaId: string }[]) => void;
}) {
  return null;
}
