/**
 * Characters the media service refuses in a file name: controls, direction overrides and marks,
 * and invisible separators (line and paragraph separators, zero-width space, word joiner, byte
 * order mark, soft hyphen). Emoji joiners, variation selectors and tags are kept.
 */
const REFUSED = /[\p{Cc}\u00AD\u061C\u200B\u200E\u200F\u2028\u2029\u202A-\u202E\u2060\u2066-\u2069\uFEFF]/gu;

/**
 * The name a file is uploaded under: what the user's system calls it, less what the media service
 * refuses (control characters, direction overrides and marks, invisible separators, path
 * separators), so that a file named oddly still uploads, under a name that shows what it is. At
 * most 255 UTF-16 units, as the service counts, never splitting a character.
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
