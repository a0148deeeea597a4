import { type ReactNode, createElement as h } from 'react';

/**
 * A small markdown dialect for chat messages, rendered straight to React elements. Message text
 * is never parsed as HTML: every piece of it ends up as a React text child, which React escapes,
 * so markup in a message shows as the characters it is. Links keep only http(s) and mailto
 * addresses and open with `rel="noopener noreferrer"`; image syntax becomes a link, so no remote
 * resource is fetched unless the user follows it.
 *
 * Blocks: paragraphs, ``` fenced code, `>` quotes, `-`/`*` and `1.` lists.
 * Inline: `code`, **bold**, *italic* or _italic_, ~~strike~~, [text](url), bare URLs, @mentions.
 */
export interface MarkdownOptions {
  /** Usernames (lower case) that a `@name` highlights as a mention; others stay plain text. */
  mentionable?: ReadonlySet<string>;
  /** The viewer's username: a mention of them is marked `mention-me`. */
  me?: string;
}

const SAFE_PROTOCOLS = new Set(['http:', 'https:', 'mailto:']);

/** The address to link to, or null when the URL is not http(s)/mailto or does not parse. */
export function safeHref(raw: string): string | null {
  try {
    const url = new URL(raw);
    return SAFE_PROTOCOLS.has(url.protocol) ? url.href : null;
  } catch {
    return null;
  }
}

function link(href: string, children: ReactNode, key: string): ReactNode {
  return h('a', { key, href, target: '_blank', rel: 'noopener noreferrer' }, children);
}

const INLINE = new RegExp(
  [
    '(`+)([^`]|[^`][\\s\\S]*?[^`])\\1(?!`)', // 1,2 code span
    '\\*\\*(?=\\S)([\\s\\S]*?\\S)\\*\\*', // 3 bold
    '~~(?=\\S)([\\s\\S]*?\\S)~~', // 4 strike
    '\\*(?=[^\\s*])([^*]*?[^\\s*])\\*', // 5 italic
    '(?<![\\w])_(?=[^\\s_])([^_]*?[^\\s_])_(?![\\w])', // 6 italic
    '(!?)\\[([^\\]\\n]{0,500})\\]\\(([^()\\s]{1,2000})\\)', // 7 bang, 8 label, 9 target
    '(https?:\\/\\/[^\\s<>()]*[^\\s<>().,;:!?\'"\\]])', // 10 bare URL
    '(?<![\\w@.])@([A-Za-z0-9_.]{1,32})', // 11 mention
    '(\\n)', // 12 line break
  ].join('|'),
  'g',
);

function inline(text: string, options: MarkdownOptions, key: string, depth = 0): ReactNode[] {
  const out: ReactNode[] = [];
  let last = 0;
  let n = 0;
  const k = () => `${key}.${n++}`;
  // Nesting is bounded so a hostile message cannot make rendering slow.
  const nested = (inner: string) => (depth < 4 ? inline(inner, options, k(), depth + 1) : [inner]);
  for (const m of text.matchAll(INLINE)) {
    const at = m.index;
    if (at > last) out.push(text.slice(last, at));
    last = at + m[0].length;
    if (m[2] !== undefined) out.push(h('code', { key: k() }, m[2]));
    else if (m[3] !== undefined) out.push(h('strong', { key: k() }, nested(m[3])));
    else if (m[4] !== undefined) out.push(h('del', { key: k() }, nested(m[4])));
    else if (m[5] !== undefined) out.push(h('em', { key: k() }, nested(m[5])));
    else if (m[6] !== undefined) out.push(h('em', { key: k() }, nested(m[6])));
    else if (m[9] !== undefined) {
      const href = safeHref(m[9]);
      const label = m[8] || m[9];
      if (!href) out.push(m[0]);
      else if (m[7]) out.push(link(href, `image: ${label}`, k()));
      else out.push(link(href, nested(label), k()));
    } else if (m[10] !== undefined) {
      const href = safeHref(m[10]);
      out.push(href ? link(href, m[10], k()) : m[10]);
    } else if (m[11] !== undefined) {
      const name = m[11].toLowerCase();
      if (name === 'everyone' || options.mentionable?.has(name)) {
        const mine = name === 'everyone' || name === options.me;
        out.push(h('span', { key: k(), className: mine ? 'mention mention-me' : 'mention' }, `@${m[11]}`));
      } else out.push(m[0]);
    } else if (m[12] !== undefined) out.push(h('br', { key: k() }));
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

type Block =
  | { kind: 'p'; text: string }
  | { kind: 'code'; text: string }
  | { kind: 'quote'; text: string }
  | { kind: 'ul' | 'ol'; items: string[] };

const BULLET = /^\s{0,3}[-*+]\s+(.*)$/;
const NUMBERED = /^\s{0,3}\d{1,9}[.)]\s+(.*)$/;
const QUOTE = /^\s{0,3}>\s?(.*)$/;
const FENCE = /^\s{0,3}```/;

function blocks(source: string): Block[] {
  const lines = source.replace(/\r\n?/g, '\n').split('\n');
  const out: Block[] = [];
  let para: string[] = [];
  const flush = () => {
    if (para.length) out.push({ kind: 'p', text: para.join('\n') });
    para = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (FENCE.test(line)) {
      flush();
      const code: string[] = [];
      for (i++; i < lines.length && !FENCE.test(lines[i] as string); i++) code.push(lines[i] as string);
      out.push({ kind: 'code', text: code.join('\n') });
      continue;
    }
    const list = BULLET.test(line) ? BULLET : NUMBERED.test(line) ? NUMBERED : null;
    if (list) {
      flush();
      const items: string[] = [];
      for (; i < lines.length && list.test(lines[i] as string); i++) {
        items.push((list.exec(lines[i] as string) as RegExpExecArray)[1] as string);
      }
      i--;
      out.push({ kind: list === BULLET ? 'ul' : 'ol', items });
      continue;
    }
    if (QUOTE.test(line)) {
      flush();
      const quoted: string[] = [];
      for (; i < lines.length && QUOTE.test(lines[i] as string); i++) {
        quoted.push((QUOTE.exec(lines[i] as string) as RegExpExecArray)[1] as string);
      }
      i--;
      out.push({ kind: 'quote', text: quoted.join('\n') });
      continue;
    }
    if (line.trim() === '') flush();
    else para.push(line);
  }
  flush();
  return out;
}

/** The message as React elements; never HTML. */
export function renderMarkdown(source: string, options: MarkdownOptions = {}): ReactNode[] {
  return blocks(source).map((block, i) => {
    const key = `b${i}`;
    switch (block.kind) {
      case 'code':
        return h('pre', { key }, h('code', null, block.text));
      case 'quote':
        return h('blockquote', { key }, inline(block.text, options, key));
      case 'ul':
      case 'ol':
        return h(
          block.kind,
          { key },
          block.items.map((item, j) => h('li', { key: j }, inline(item, options, `${key}.${j}`))),
        );
      default:
        return h('p', { key }, inline(block.text, options, key));
    }
  });
}
