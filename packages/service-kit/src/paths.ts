import { AppError } from './errors';

/**
 * Whether a request path (a query after `?` is not looked at) is made only of plain segments: no
 * `.` or `..` segment, written out or percent-encoded; no encoded `/` or `\`; no control
 * character; no malformed escape. Such a path names the same resource after every URL parser on
 * the way has normalised it, so a check made on it before forwarding still holds where it lands.
 */
export function isPlainPath(pathAndQuery: string): boolean {
  const path = pathAndQuery.split('?', 1)[0]!;
  for (const segment of path.split('/')) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      return false;
    }
    if (decoded === '.' || decoded === '..') return false;
    // eslint-disable-next-line no-control-regex
    if (/[/\\\u0000-\u001f\u007f]/.test(decoded)) return false;
  }
  return true;
}

/** Refuses a path that is not plain (see `isPlainPath`), with a problem code of its own. */
export function requirePlainPath(pathAndQuery: string): void {
  if (!isPlainPath(pathAndQuery)) {
    throw new AppError(
      'PATH_INVALID',
      400,
      'The path holds a dot segment, an encoded slash or backslash, a control character or a malformed escape.',
    );
  }
}
