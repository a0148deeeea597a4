import { isCjk, segments } from './tokenize';

/**
 * A parsed query: every clause must match, a clause matches when any of its terms does, and no
 * excluded term may match. `OR` between two words makes them one clause; `-word` excludes.
 * Operators only ever narrow or widen the text match: the membership filter is applied apart
 * from them and cannot be reached through the query text.
 */
export interface ParsedQuery {
  clauses: string[][];
  excluded: string[];
}

const MAX_TERMS = 32;

export function parseQuery(input: string): ParsedQuery {
  const clauses: string[][] = [];
  const excluded: string[] = [];
  let joinNext = false;
  let count = 0;
  for (const raw of input.split(/\s+/).filter(Boolean)) {
    if (raw === 'OR' && clauses.length > 0) {
      joinNext = true;
      continue;
    }
    const negative = raw.startsWith('-') && raw.length > 1;
    const terms = segments(negative ? raw.slice(1) : raw).map((s) => s.term);
    if (terms.length === 0 || count >= MAX_TERMS) continue;
    count += terms.length;
    if (negative) {
      excluded.push(...terms);
      continue;
    }
    // A token the segmenter splits (`東京タワー`, `e-mail`) is several terms, all required; a
    // CJK run is kept whole since it is matched by its bigrams.
    const words = isCjk(raw) ? [terms.join('')] : terms;
    const [first, ...rest] = words;
    if (joinNext && first !== undefined) clauses.at(-1)!.push(first);
    else if (first !== undefined) clauses.push([first]);
    for (const word of rest) clauses.push([word]);
    joinNext = false;
  }
  return { clauses, excluded };
}
