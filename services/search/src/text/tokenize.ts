/**
 * Turning text into index terms, the same way for documents and queries, so that what a user
 * types finds what another user wrote:
 *
 * - Latin diacritics are folded (`café` finds `cafe`), Cyrillic `ё` is folded to `е`, case is folded.
 * - Word boundaries come from `Intl.Segmenter`, which knows that Chinese and Japanese have no
 *   spaces. Because a segmenter may cut the same CJK run differently in a short query and in a
 *   long message, CJK text is also indexed as single characters and character pairs (bigrams),
 *   and a CJK query term matches when all its bigrams are present.
 * - Emoji are terms of their own (the segmenter does not call them words).
 */

const segmenter = new Intl.Segmenter('und', { granularity: 'word' });
const cjkSegmenter = new Intl.Segmenter('ja', { granularity: 'word' });

const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;
const EMOJI = /\p{Extended_Pictographic}/u;

/** Case-folds and removes the marks users leave out when they type a query. */
export function normalize(text: string): string {
  return text
    .normalize('NFD')
    .replace(/(\p{Script=Latin})[\u0300-\u036f]+/gu, '$1')
    .normalize('NFC')
    .replace(/\uFE0F/g, '')
    .toLowerCase()
    .replaceAll('ё', 'е');
}

export function isCjk(term: string): boolean {
  return CJK.test(term);
}

/** A word or emoji of the original text, with where it sits, for highlighting. */
export interface Segment {
  /** The normalized term. */
  term: string;
  start: number;
  end: number;
}

/** The words and emoji of a text, normalized, with their positions in the original. */
export function segments(text: string): Segment[] {
  const out: Segment[] = [];
  const chosen = isCjk(text) ? cjkSegmenter : segmenter;
  for (const part of chosen.segment(text)) {
    const end = part.index + part.segment.length;
    if (part.isWordLike) {
      out.push({ term: normalize(part.segment), start: part.index, end });
    } else if (EMOJI.test(part.segment)) {
      // A run of emoji can arrive as one segment; each grapheme is a term.
      let offset = part.index;
      for (const { segment } of new Intl.Segmenter('und', { granularity: 'grapheme' }).segment(
        part.segment,
      )) {
        if (EMOJI.test(segment))
          out.push({ term: normalize(segment), start: offset, end: offset + segment.length });
        offset += segment.length;
      }
    }
  }
  return out;
}

/** Unigrams and bigrams of a CJK term: what a CJK query term is matched against. */
export function ngrams(term: string): string[] {
  const chars = [...term];
  if (chars.length === 1) return chars;
  const pairs: string[] = [];
  for (let i = 0; i + 1 < chars.length; i++) pairs.push(`${chars[i]}${chars[i + 1]}`);
  return pairs;
}

/** Every term a document is indexed under: its words, plus CJK characters and bigrams. */
export function indexTerms(text: string): string[] {
  const terms: string[] = [];
  for (const { term } of segments(text)) {
    terms.push(term);
    if (isCjk(term)) {
      const chars = [...term];
      terms.push(...chars);
      if (chars.length > 1) terms.push(...ngrams(term));
    }
  }
  return terms;
}
