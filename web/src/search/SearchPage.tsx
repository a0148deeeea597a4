import { useEffect, useState } from 'react';
import { api, describeError } from '../api/http';
import type { SearchHit } from '../api/types';
import { Link } from '../app/Link';
import { navigate, useLocation } from '../app/router';
import { useSession } from '../app/use-session';
import { conversationTitle, timeLabel } from '../chat/names';
import { useChat } from '../chat/store';
import { ensureUsers } from '../chat/users';
import { renderSnippet } from './snippet';

/** Message search; each result opens its conversation at the message. */
export function SearchPage() {
  const myId = useSession()?.user.id ?? '';
  const { search } = useLocation();
  const q = search.get('q') ?? '';
  const [draft, setDraft] = useState(q);
  const [hits, setHits] = useState<SearchHit[] | null>(null);
  const [found, setFound] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const conversations = useChat((s) => s.conversations);
  const users = useChat((s) => s.users);

  useEffect(() => {
    if (!q.trim()) {
      setHits(null);
      return;
    }
    setError(null);
    api<{ found: number; hits: SearchHit[] }>('/search/messages', { query: { q, perPage: 30 } }).then(
      (r) => {
        setHits(r.hits);
        setFound(r.found);
        void ensureUsers(r.hits.map((h) => h.senderId));
      },
      (err: unknown) => setError(describeError(err)),
    );
  }, [q]);

  return (
    <section className="page search-page">
      <h1>Search</h1>
      <form
        role="search"
        aria-label="Search messages"
        onSubmit={(e) => {
          e.preventDefault();
          navigate(`/search?q=${encodeURIComponent(draft.trim())}`);
        }}
      >
        <label htmlFor="search-q" className="sr-only">
          Search messages
        </label>
        <input
          id="search-q"
          type="search"
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
          placeholder="Words, -exclude, a OR b"
          autoFocus
        />
        <button type="submit">Search</button>
      </form>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {hits && (
        <p role="status">
          {found} {found === 1 ? 'message' : 'messages'} found
        </p>
      )}
      {hits && hits.length > 0 && (
        <ol className="search-results">
          {hits.map((hit) => {
            const c = conversations.get(hit.conversationId);
            return (
              <li key={hit.id}>
                <Link
                  href={`/c/${hit.conversationId}?m=${encodeURIComponent(hit.id)}`}
                  className="search-hit"
                >
                  <span className="hit-meta">
                    <strong>{users.get(hit.senderId)?.displayName ?? 'Someone'}</strong> in{' '}
                    {c ? conversationTitle(c, users, myId) : 'a conversation'} · {timeLabel(hit.createdAt)}
                  </span>
                  <span className="hit-snippet">{renderSnippet(hit.snippet)}</span>
                </Link>
              </li>
            );
          })}
        </ol>
      )}
    </section>
  );
}
