/** A message as the index holds it: what search filters and shows, nothing else. */
export interface IndexedMessage {
  id: string;
  conversationId: string;
  senderId: string;
  text: string;
  hasAttachment: boolean;
  createdAt: string;
  editedAt: string | null;
  version: number;
}

/** A person as the index holds it: public profile fields only, never an email or phone. */
export interface IndexedPerson {
  id: string;
  username: string;
  displayName: string;
  avatarMediaId: string | null;
}

export interface MessageQuery {
  /** Free text; empty lists every message the filters let through. */
  text: string;
  /**
   * The conversations the caller may read, already narrowed by any conversation filter. Every
   * backend applies it inside its query, before counting and paging; empty finds nothing.
   */
  conversationIds: readonly string[];
  senderIds?: readonly string[] | undefined;
  /** Inclusive bounds on the time a message was sent. */
  from?: Date | undefined;
  to?: Date | undefined;
  hasAttachment?: boolean | undefined;
  sort: 'relevance' | 'date';
  page: number;
  perPage: number;
}

export interface MessageHit {
  message: IndexedMessage;
  /** The text around the first match, HTML-escaped, matches wrapped in `<mark>`. */
  snippet: string;
}

export interface MessagePage {
  found: number;
  hits: MessageHit[];
}

export interface PeopleQuery {
  text: string;
  limit: number;
}

/**
 * What the search service needs of a search backend. Writes are applied in the order the
 * service decides (it drops stale versions before calling), so a backend simply overwrites.
 */
export interface SearchBackend {
  readonly name: string;
  /** Prepares collections or loads what was persisted. */
  init(): Promise<void>;
  upsertMessages(messages: readonly IndexedMessage[]): Promise<void>;
  removeMessage(id: string): Promise<void>;
  searchMessages(query: MessageQuery): Promise<MessagePage>;
  upsertPerson(person: IndexedPerson): Promise<void>;
  removePerson(id: string): Promise<void>;
  searchPeople(query: PeopleQuery): Promise<IndexedPerson[]>;
  /** Forgets every message, before a rebuild from chat's history. */
  clearMessages(): Promise<void>;
}
