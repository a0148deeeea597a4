import { isCjk, normalize, segments } from './tokenize';

const CONTEXT = 60;

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

/**
 * The text around the first match, HTML-escaped, with each matching word wrapped in `<mark>`.
 * `matched` holds the normalized vocabulary terms that matched; CJK query terms are marked
 * wherever they occur, since they may sit inside a longer segment.
 */
export function snippet(text: string, matched: ReadonlySet<string>): string {
  const ranges: [number, number][] = [];
  for (const segment of segments(text)) {
    if (matched.has(segment.term)) ranges.push([segment.start, segment.end]);
  }
  const folded = normalize(text);
  const sameLength = folded.length === text.length;
  for (const term of matched) {
    if (!isCjk(term) || !sameLength) continue;
    for (let at = folded.indexOf(term); at >= 0; at = folded.indexOf(term, at + term.length)) {
      ranges.push([at, at + term.length]);
    }
  }
  ranges.sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const range of ranges) {
    const last = merged.at(-1);
    if (last && range[0] <= last[1]) last[1] = Math.max(last[1], range[1]);
    else merged.push([...range]);
  }
  const first = merged[0]?.[0] ?? 0;
  const start = Math.max(0, first - CONTEXT);
  const end = Math.min(text.length, Math.max(first, start) + CONTEXT * 2);
  let out = start > 0 ? '…' : '';
  let at = start;
  for (const [from, to] of merged) {
    if (to <= start || from >= end) continue;
    const a = Math.max(from, start);
    const b = Math.min(to, end);
    out += `${escapeHtml(text.slice(at, a))}<mark>${escapeHtml(text.slice(a, b))}</mark>`;
    at = b;
  }
  out += escapeHtml(text.slice(at, end));
  return end < text.length ? `${out}…` : out;
}
