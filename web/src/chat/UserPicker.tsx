import { useEffect, useState } from 'react';
import { api } from '../api/http';
import type { PublicUser } from '../api/types';

/** Finds people in the directory by username or name prefix, or by their whole email address. */
export function UserPicker(props: { label: string; exclude: string[]; onPick: (user: PublicUser) => void }) {
  const [q, setQ] = useState('');
  const [found, setFound] = useState<PublicUser[]>([]);
  useEffect(() => {
    if (q.trim().length < 2) {
      setFound([]);
      return;
    }
    const abort = new AbortController();
    const timer = setTimeout(() => {
      api<{ items?: PublicUser[]; users?: PublicUser[] }>('/users', {
        query: { q: q.trim(), limit: 10 },
        signal: abort.signal,
      })
        .then((r) => setFound(r.items ?? r.users ?? []))
        .catch(() => undefined);
    }, 200);
    return () => {
      clearTimeout(timer);
      abort.abort();
    };
  }, [q]);
  const shown = found.filter((u) => !props.exclude.includes(u.id));
  return (
    <div className="user-picker">
      <label htmlFor="user-search">{props.label}</label>
      <input
        id="user-search"
        type="search"
        value={q}
        autoComplete="off"
        onChange={(e) => setQ(e.target.value)}
        placeholder="Username, name or email"
      />
      {shown.length > 0 && (
        <ul className="picker-results" aria-label="People found">
          {shown.map((u) => (
            <li key={u.id}>
              <button type="button" onClick={() => props.onPick(u)}>
                <strong>{u.displayName}</strong> @{u.username}
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
