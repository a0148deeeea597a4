import { Client } from 'typesense';
import type { ConfigurationOptions } from 'typesense/lib/Typesense/Configuration';
import { matchedTerms } from '../text/matched-terms';
import { parseQuery } from '../text/query';
import { snippet } from '../text/snippet';
import { indexTerms, isCjk, ngrams } from '../text/tokenize';
import type {
  IndexedMessage,
  IndexedPerson,
  MessagePage,
  MessageQuery,
  PeopleQuery,
  SearchBackend,
} from './types';

export const MESSAGES_COLLECTION = 'parley_messages';
export const PEOPLE_COLLECTION = 'parley_people';

export interface TypesenseOptions {
  /** Collection names; tests give each run its own. */
  messagesCollection?: string;
  peopleCollection?: string;
  /** Passed to the `typesense` client (a contract test hands in an `axiosAdapter`). */
  client?: Partial<ConfigurationOptions>;
}

/**
 * Documents carry the text as written (shown, highlighted here) and `terms`: the same terms the
 * embedded engine indexes (segmented words, CJK bigrams, emoji, folded accents), so both
 * backends find the same things from the same query.
 */
const messageSchema = {
  name: MESSAGES_COLLECTION,
  fields: [
    { name: 'conversationId', type: 'string', facet: true },
    { name: 'senderId', type: 'string', facet: true },
    { name: 'terms', type: 'string[]' },
    { name: 'text', type: 'string', index: false, optional: true },
    { name: 'hasAttachment', type: 'bool' },
    { name: 'createdAt', type: 'int64', sort: true },
    { name: 'editedAt', type: 'string', index: false, optional: true },
    { name: 'version', type: 'int32', index: false, optional: true },
  ],
  default_sorting_field: 'createdAt',
} as const;

const peopleSchema = {
  name: PEOPLE_COLLECTION,
  fields: [
    { name: 'terms', type: 'string[]' },
    { name: 'username', type: 'string', index: false, optional: true },
    { name: 'displayName', type: 'string', index: false, optional: true },
    { name: 'avatarMediaId', type: 'string', index: false, optional: true },
  ],
} as const;

interface MessageDocument {
  id: string;
  conversationId: string;
  senderId: string;
  terms: string[];
  text: string;
  hasAttachment: boolean;
  createdAt: number;
  editedAt?: string;
  version: number;
}

interface PersonDocument {
  id: string;
  terms: string[];
  username: string;
  displayName: string;
  avatarMediaId?: string;
}

/**
 * A value inside a filter expression. Ids are validated to `[A-Za-z0-9_-]` before they get here;
 * backticks quote them anyway, and a value holding one is refused, so no input can close the
 * quote and add a clause of its own.
 */
export function filterValue(value: string): string {
  if (value.includes('`')) throw new Error('a filter value cannot hold a backtick');
  return `\`${value}\``;
}

/** The filter every message query carries: the membership set first, then the caller's filters. */
export function messageFilter(query: MessageQuery, orClauses: string[][] = []): string {
  const parts = [`conversationId:=[${query.conversationIds.map(filterValue).join(',')}]`];
  if (query.senderIds?.length) parts.push(`senderId:=[${query.senderIds.map(filterValue).join(',')}]`);
  if (query.from) parts.push(`createdAt:>=${query.from.getTime()}`);
  if (query.to) parts.push(`createdAt:<=${query.to.getTime()}`);
  if (query.hasAttachment !== undefined) parts.push(`hasAttachment:=${query.hasAttachment}`);
  // Alternatives (`a OR b`) match whole terms on this backend.
  for (const clause of orClauses) parts.push(`terms:=[${clause.map(filterValue).join(',')}]`);
  return parts.join(' && ');
}

const EMOJI = /\p{Extended_Pictographic}/u;

/**
 * A term as Typesense gets it. Its tokenizer drops symbols, so an emoji becomes a word made of its
 * code points; a CJK query term becomes the bigrams the documents are indexed under.
 */
export function typesenseTerms(term: string, asQuery = false): string[] {
  if (EMOJI.test(term)) return [`emoji_${[...term].map((c) => c.codePointAt(0)!.toString(16)).join('_')}`];
  if (asQuery && isCjk(term)) return ngrams(term);
  return [term];
}

function isNotFound(err: unknown): boolean {
  return (err as { httpStatus?: number }).httpStatus === 404;
}

/** Typesense, through its `typesense` client, behind the same interface as the embedded engine. */
export class TypesenseBackend implements SearchBackend {
  readonly name = 'typesense';
  private readonly client: Client;
  private readonly messages: string;
  private readonly people: string;

  constructor(url: string, apiKey: string, options: TypesenseOptions = {}) {
    this.messages = options.messagesCollection ?? MESSAGES_COLLECTION;
    this.people = options.peopleCollection ?? PEOPLE_COLLECTION;
    const parsed = new URL(url);
    const protocol = parsed.protocol.replace(':', '');
    this.client = new Client({
      nodes: [
        {
          host: parsed.hostname,
          port: Number(parsed.port || (protocol === 'https' ? 443 : 80)),
          protocol,
          path: parsed.pathname === '/' ? '' : parsed.pathname,
        },
      ],
      apiKey,
      connectionTimeoutSeconds: 5,
      numRetries: 2,
      logLevel: 'silent',
      ...options.client,
    });
  }

  async init(): Promise<void> {
    for (const schema of [
      { ...messageSchema, name: this.messages },
      { ...peopleSchema, name: this.people },
    ]) {
      try {
        await this.client.collections(schema.name).retrieve();
      } catch (err) {
        if (!isNotFound(err)) throw err;
        await this.client.collections().create(structuredClone(schema) as never);
      }
    }
  }

  /** Readiness: Typesense answers its health endpoint. */
  async health(): Promise<void> {
    const { ok } = await this.client.health.retrieve();
    if (!ok) throw new Error('Typesense reports it is not healthy');
  }

  async upsertMessages(messages: readonly IndexedMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const documents = messages.map(toMessageDocument);
    if (documents.length === 1) {
      await this.client.collections<MessageDocument>(this.messages).documents().upsert(documents[0]!);
      return;
    }
    const results = await this.client
      .collections<MessageDocument>(this.messages)
      .documents()
      .import(documents, { action: 'upsert' });
    const failed = results.find((r) => !r.success);
    if (failed) throw new Error(`Typesense refused a document: ${failed.error ?? 'unknown'}`);
  }

  async removeMessage(id: string): Promise<void> {
    try {
      await this.client.collections(this.messages).documents(id).delete();
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  async clearMessages(): Promise<void> {
    await this.client.collections(this.messages).documents().delete({ filter_by: 'createdAt:>=0' });
  }

  async searchMessages(query: MessageQuery): Promise<MessagePage> {
    if (query.conversationIds.length === 0) return { found: 0, hits: [] };
    const parsed = parseQuery(query.text);
    const required = parsed.clauses.filter((c) => c.length === 1).flatMap((c) => typesenseTerms(c[0]!, true));
    const alternatives = parsed.clauses
      .filter((c) => c.length > 1)
      .map((c) => c.flatMap((t) => typesenseTerms(t)));
    const excluded = parsed.excluded.flatMap((t) => typesenseTerms(t, true)).map((t) => `-${t}`);
    const q = [...required, ...excluded].join(' ') || '*';
    const sortBy =
      query.sort === 'relevance' && required.length > 0
        ? '_text_match:desc,createdAt:desc'
        : 'createdAt:desc';
    // POST /multi_search, so a long membership set never meets a URL length limit.
    const { results } = await this.client.multiSearch.perform<[MessageDocument]>({
      searches: [
        {
          collection: this.messages,
          q,
          query_by: 'terms',
          // A string in Typesense's schema: one flag per `query_by` field.
          prefix: 'true',
          num_typos: '2',
          drop_tokens_threshold: 0,
          typo_tokens_threshold: 0,
          filter_by: messageFilter(query, alternatives),
          sort_by: sortBy,
          page: query.page,
          per_page: query.perPage,
          include_fields: 'id,conversationId,senderId,text,hasAttachment,createdAt,editedAt,version',
          highlight_fields: 'none',
        },
      ],
    });
    const result = results[0] as { found?: number; hits?: { document: MessageDocument }[]; error?: string };
    if (result.error) throw new Error(`Typesense search failed: ${result.error}`);
    return {
      found: result.found ?? 0,
      hits: (result.hits ?? []).map(({ document }) => {
        const message = fromMessageDocument(document);
        return { message, snippet: snippet(message.text, matchedTerms(message.text, parsed)) };
      }),
    };
  }

  async upsertPerson(person: IndexedPerson): Promise<void> {
    const document: PersonDocument = {
      id: person.id,
      terms: [
        ...indexTerms(person.username),
        person.username.toLowerCase(),
        ...indexTerms(person.displayName),
      ].flatMap((t) => typesenseTerms(t)),
      username: person.username,
      displayName: person.displayName,
      ...(person.avatarMediaId ? { avatarMediaId: person.avatarMediaId } : {}),
    };
    await this.client.collections<PersonDocument>(this.people).documents().upsert(document);
  }

  async removePerson(id: string): Promise<void> {
    try {
      await this.client.collections(this.people).documents(id).delete();
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  async searchPeople(query: PeopleQuery): Promise<IndexedPerson[]> {
    const parsed = parseQuery(query.text);
    const terms = parsed.clauses.flat();
    if (terms.length === 0) return [];
    const result = await this.client
      .collections<PersonDocument>(this.people)
      .documents()
      .search({
        q: terms.flatMap((t) => typesenseTerms(t, true)).join(' '),
        query_by: 'terms',
        // A string in Typesense's schema: one flag per `query_by` field.
        prefix: 'true',
        num_typos: '1',
        drop_tokens_threshold: 0,
        per_page: query.limit,
        highlight_fields: 'none',
      });
    return (result.hits ?? []).map(({ document }) => ({
      id: document.id,
      username: document.username,
      displayName: document.displayName,
      avatarMediaId: document.avatarMediaId ?? null,
    }));
  }
}

function toMessageDocument(message: IndexedMessage): MessageDocument {
  return {
    id: message.id,
    conversationId: message.conversationId,
    senderId: message.senderId,
    terms: indexTerms(message.text).flatMap((t) => typesenseTerms(t)),
    text: message.text,
    hasAttachment: message.hasAttachment,
    createdAt: Date.parse(message.createdAt),
    ...(message.editedAt ? { editedAt: message.editedAt } : {}),
    version: message.version,
  };
}

function fromMessageDocument(document: MessageDocument): IndexedMessage {
  return {
    id: document.id,
    conversationId: document.conversationId,
    senderId: document.senderId,
    text: document.text,
    hasAttachment: document.hasAttachment,
    createdAt: new Date(document.createdAt).toISOString(),
    editedAt: document.editedAt ?? null,
    version: document.version,
  };
}
