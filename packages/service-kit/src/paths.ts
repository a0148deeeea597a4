import { AppError } from './errors';

/** How many rounds of percent-decoding a segment may take: every layer on the way decodes once. */
const MAX_DECODES = 3;

/**
 * Whether a request path (a query after `?` is not looked at) names the same resource after every
 * layer on the way has parsed and decoded it. The gateway's URL parser resolves `.` and `..`
 * segments, written out or percent-encoded, and reads `\` as `/`; the sidecar decodes the path
 * once more, so `%252e` becomes a dot there. So each segment, and what it decodes to round after
 * round, must hold no `.` or `..` part (between `/` or `\`), no `\`, `?` or `#`, no control
 * character, and no malformed escape. An encoded `/` inside a segment is kept (keys such as
 * `notify-u1%2Fpush%2Fm1` need it): the parts on either side of it are checked like segments.
 */
export function isPlainPath(pathAndQuery: string): boolean {
  const path = pathAndQuery.split('?', 1)[0]!;
  for (const segment of path.split('/')) {
    if (!isPlainText(segment)) return false;
    let current = segment;
    for (let round = 0; current.includes('%'); round++) {
      if (round === MAX_DECODES) return false;
      try {
        current = decodeURIComponent(current);
      } catch {
        return false;
      }
      if (!isPlainText(current)) return false;
    }
  }
  return true;
}

function isPlainText(text: string): boolean {
  // eslint-disable-next-line no-control-regex
  if (/[\\?#\u0000-\u001f\u007f]/.test(text)) return false;
  return !text.split('/').some((part) => part === '.' || part === '..');
}

/** Refuses a path that is not plain (see `isPlainPath`), with a problem code of its own. */
export function requirePlainPath(pathAndQuery: string): void {
  if (!isPlainPath(pathAndQuery)) {
    throw new AppError(
      'PATH_INVALID',
      400,
      'The path holds a dot segment, a backslash, an encoded ? or #, a control character or a malformed escape.',
    );
  }
}
