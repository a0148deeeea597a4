import { typoBudget, withinDistance } from '../text/edit-distance';
import { isCjk, ngrams } from '../text/tokenize';

/** How well a vocabulary term matched a query term. */
const EXACT = 3;
const PREFIX = 2;
const TYPO = 1;

/** Per document, the score of its best match, and the vocabulary terms that matched. */
export interface TermMatch {
  scores: Map<string, number>;
  matched: Set<string>;
}

/**
 * Postings from term to document ids with a count. Query terms match a vocabulary term exactly,
 * as a prefix, or within a small edit distance; CJK query terms match when all their bigrams do.
 */
export class InvertedIndex {
  private readonly postings = new Map<string, Map<string, number>>();
  private readonly termsOf = new Map<string, string[]>();

  get size(): number {
    return this.termsOf.size;
  }

  /** Replaces whatever the document was indexed under before. */
  set(docId: string, terms: readonly string[]): void {
    this.remove(docId);
    const unique = [...new Set(terms)];
    for (const term of terms) {
      let docs = this.postings.get(term);
      if (!docs) {
        docs = new Map();
        this.postings.set(term, docs);
      }
      docs.set(docId, (docs.get(docId) ?? 0) + 1);
    }
    this.termsOf.set(docId, unique);
  }

  remove(docId: string): void {
    const terms = this.termsOf.get(docId);
    if (!terms) return;
    for (const term of terms) {
      const docs = this.postings.get(term);
      docs?.delete(docId);
      if (docs?.size === 0) this.postings.delete(term);
    }
    this.termsOf.delete(docId);
  }

  clear(): void {
    this.postings.clear();
    this.termsOf.clear();
  }

  /** The documents a query term matches, each with its best score. */
  match(queryTerm: string): TermMatch {
    const scores = new Map<string, number>();
    const matched = new Set<string>();
    const add = (term: string, weight: number) => {
      const docs = this.postings.get(term);
      if (!docs) return;
      matched.add(term);
      for (const [docId, count] of docs) {
        const score = weight + Math.min(count, 3) * 0.1;
        if ((scores.get(docId) ?? 0) < score) scores.set(docId, score);
      }
    };
    if (isCjk(queryTerm)) {
      this.matchAllGrams(queryTerm, scores, matched);
      return { scores, matched };
    }
    const budget = typoBudget(queryTerm);
    for (const term of this.postings.keys()) {
      if (term === queryTerm) add(term, EXACT);
      else if (term.startsWith(queryTerm)) add(term, PREFIX);
      else if (budget > 0 && withinDistance(queryTerm, term.slice(0, queryTerm.length + budget), budget)) {
        // Compared with the term's start, so a typo in a prefix (`helo` for `hello`) still finds it.
        add(term, TYPO);
      }
    }
    return { scores, matched };
  }

  private matchAllGrams(queryTerm: string, scores: Map<string, number>, matched: Set<string>): void {
    const grams = ngrams(queryTerm);
    let candidates: Map<string, number> | undefined;
    for (const gram of grams) {
      const docs = this.postings.get(gram);
      if (!docs) return;
      candidates = candidates ? new Map([...candidates].filter(([id]) => docs.has(id))) : new Map(docs);
    }
    for (const docId of candidates?.keys() ?? []) scores.set(docId, EXACT);
    matched.add(queryTerm);
  }
}
