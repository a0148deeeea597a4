import { typoBudget, withinDistance } from './edit-distance';
import type { ParsedQuery } from './query';
import { indexTerms, isCjk, segments } from './tokenize';

/**
 * The terms of a text that a query matched, by the same rules as the embedded engine (exact,
 * prefix, small typo; CJK by substring): what a backend that does not return usable highlights
 * marks in its snippet.
 */
export function matchedTerms(text: string, query: ParsedQuery): Set<string> {
  const wanted = query.clauses.flat();
  const matched = new Set<string>();
  const docTerms = new Set(indexTerms(text));
  for (const term of wanted) {
    if (isCjk(term)) {
      if (segments(text).some((s) => s.term.includes(term)) || docTerms.has(term)) matched.add(term);
      continue;
    }
    const budget = typoBudget(term);
    for (const candidate of docTerms) {
      if (
        candidate.startsWith(term) ||
        (budget > 0 && withinDistance(term, candidate.slice(0, term.length + budget), budget))
      ) {
        matched.add(candidate);
      }
    }
  }
  return matched;
}
