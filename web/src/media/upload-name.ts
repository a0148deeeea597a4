/** Characters the media service refuses in a file name: controls and direction overrides. */
const REFUSED = /[\p{Cc}\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/gu;

/**
 * The name a file is uploaded under: what the user's system calls it, less what the media service
 * refuses (control characters, direction overrides and marks, path separators), so that a file
 * named oddly still uploads, under a name that shows what it is. At most 255 UTF-16 units, as the
 * service counts, never splitting a character.
 */
export function uploadName(name: string): string {
  let cleaned = '';
  for (const char of name.replace(REFUSED, '').replace(/[/\\]/g, '_').trim()) {
    if (cleaned.length + char.length > 255) break;
    cleaned += char;
  }
  cleaned = cleaned.trim();
  return cleaned === '' || cleaned === '.' || cleaned === '..' ? 'file' : cleaned;
}
