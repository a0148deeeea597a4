import { parseQuery } from '../text/query';
import { snippet } from '../text/snippet';
import { indexTerms } from '../text/tokenize';
import { InvertedIndex } from './inverted-index';
import type {
  IndexedMessage,
  IndexedPerson,
  MessagePage,
  MessageQuery,
  PeopleQuery,
  SearchBackend,
} from './types';

/** Where the embedded engine reloads its documents from at start-up (the service's database). */
export interface EmbeddedSource {
  messages(): AsyncIterable<IndexedMessage>;
  people(): AsyncIterable<IndexedPerson>;
}

/**
 * The default backend: an inverted index in the service's memory, rebuilt at start-up from the
 * documents the service keeps in its database, so it survives a restart without a rebuild.
 */
export class EmbeddedEngine implements SearchBackend {
  readonly name = 'embedded';
  private readonly messages = new Map<string, IndexedMessage>();
  private readonly byConversation = new Map<string, Set<string>>();
  private readonly messageIndex = new InvertedIndex();
  private readonly people = new Map<string, IndexedPerson>();
  private readonly peopleIndex = new InvertedIndex();

  constructor(private readonly source?: EmbeddedSource) {}

  async init(): Promise<void> {
    if (!this.source) return;
    const batch: IndexedMessage[] = [];
    for await (const message of this.source.messages()) batch.push(message);
    await this.upsertMessages(batch);
    for await (const person of this.source.people()) await this.upsertPerson(person);
  }

  async upsertMessages(messages: readonly IndexedMessage[]): Promise<void> {
    for (const message of messages) {
      this.detach(message.id);
      this.messages.set(message.id, message);
      let ids = this.byConversation.get(message.conversationId);
      if (!ids) {
        ids = new Set();
        this.byConversation.set(message.conversationId, ids);
      }
      ids.add(message.id);
      this.messageIndex.set(message.id, indexTerms(message.text));
    }
  }

  async removeMessage(id: string): Promise<void> {
    this.detach(id);
  }

  async clearMessages(): Promise<void> {
    this.messages.clear();
    this.byConversation.clear();
    this.messageIndex.clear();
  }

  async searchMessages(query: MessageQuery): Promise<MessagePage> {
    // The membership set comes first: only messages of these conversations are ever candidates.
    const allowed = new Set(query.conversationIds);
    const senders = query.senderIds ? new Set(query.senderIds) : undefined;
    const passes = (m: IndexedMessage) =>
      allowed.has(m.conversationId) &&
      (!senders || senders.has(m.senderId)) &&
      (!query.from || Date.parse(m.createdAt) >= query.from.getTime()) &&
      (!query.to || Date.parse(m.createdAt) <= query.to.getTime()) &&
      (query.hasAttachment === undefined || m.hasAttachment === query.hasAttachment);

    const parsed = parseQuery(query.text);
    const matched = new Set<string>();
    let scored: Map<string, number>;
    if (parsed.clauses.length === 0) {
      scored = new Map();
      for (const conversationId of allowed) {
        for (const id of this.byConversation.get(conversationId) ?? []) scored.set(id, 0);
      }
    } else {
      scored = this.matchClauses(parsed.clauses, matched);
    }
    for (const term of parsed.excluded) {
      for (const id of this.messageIndex.match(term).scores.keys()) scored.delete(id);
    }

    const hits = [...scored]
      .map(([id, score]) => ({ message: this.messages.get(id), score }))
      .filter((h): h is { message: IndexedMessage; score: number } => !!h.message && passes(h.message));
    const byDate = (a: { message: IndexedMessage }, b: { message: IndexedMessage }) =>
      b.message.createdAt.localeCompare(a.message.createdAt) || a.message.id.localeCompare(b.message.id);
    hits.sort(query.sort === 'relevance' ? (a, b) => b.score - a.score || byDate(a, b) : byDate);
    const start = (query.page - 1) * query.perPage;
    return {
      found: hits.length,
      hits: hits.slice(start, start + query.perPage).map(({ message }) => ({
        message,
        snippet: snippet(message.text, matched),
      })),
    };
  }

  async upsertPerson(person: IndexedPerson): Promise<void> {
    this.people.set(person.id, person);
    this.peopleIndex.set(person.id, [
      ...indexTerms(person.username),
      // A username like `anna_k` is also found as a whole.
      person.username.toLowerCase(),
      ...indexTerms(person.displayName),
    ]);
  }

  async removePerson(id: string): Promise<void> {
    this.people.delete(id);
    this.peopleIndex.remove(id);
  }

  async searchPeople(query: PeopleQuery): Promise<IndexedPerson[]> {
    const parsed = parseQuery(query.text);
    if (parsed.clauses.length === 0) return [];
    const scored = [...this.intersect(parsed.clauses, this.peopleIndex, new Set())];
    return scored
      .map(([id, score]) => ({ person: this.people.get(id), score }))
      .filter((h): h is { person: IndexedPerson; score: number } => !!h.person)
      .sort((a, b) => b.score - a.score || a.person.username.localeCompare(b.person.username))
      .slice(0, query.limit)
      .map((h) => h.person);
  }

  private matchClauses(clauses: string[][], matched: Set<string>): Map<string, number> {
    return this.intersect(clauses, this.messageIndex, matched);
  }

  /** Documents matching every clause (any term of it), scored by the sum of the best matches. */
  private intersect(clauses: string[][], index: InvertedIndex, matched: Set<string>): Map<string, number> {
    let result: Map<string, number> | undefined;
    for (const clause of clauses) {
      const clauseScores = new Map<string, number>();
      for (const term of clause) {
        const match = index.match(term);
        for (const t of match.matched) matched.add(t);
        for (const [id, score] of match.scores) {
          clauseScores.set(id, Math.max(clauseScores.get(id) ?? 0, score));
        }
      }
      if (!result) {
        result = clauseScores;
        continue;
      }
      const next = new Map<string, number>();
      for (const [id, score] of result) {
        const more = clauseScores.get(id);
        if (more !== undefined) next.set(id, score + more);
      }
      result = next;
    }
    return result ?? new Map();
  }

  private detach(id: string): void {
    const existing = this.messages.get(id);
    if (!existing) return;
    this.byConversation.get(existing.conversationId)?.delete(id);
    this.messages.delete(id);
    this.messageIndex.remove(id);
  }
}
