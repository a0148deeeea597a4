import { type ReactNode, createElement as h } from 'react';

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", apos: "'" };

function unescape(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|#39|apos);/g, (_m, name: string) => ENTITIES[name] ?? '');
}

/**
 * The search service's snippet is HTML-escaped text with matches in `<mark>`. It is split on those
 * two tags only and every other piece is unescaped into plain text, so nothing else in it can
 * become markup.
 */
export function renderSnippet(snippet: string): ReactNode[] {
  const out: ReactNode[] = [];
  let marked = false;
  snippet.split(/(<\/?mark>)/).forEach((part, i) => {
    if (part === '<mark>') marked = true;
    else if (part === '</mark>') marked = false;
    else if (part) out.push(marked ? h('mark', { key: i }, unescape(part)) : unescape(part));
  });
  return out;
}
