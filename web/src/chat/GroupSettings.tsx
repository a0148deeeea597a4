import { useEffect, useState } from 'react';
import { api, describeError } from '../api/http';
import type { Conversation, Role } from '../api/types';
import { Link } from '../app/Link';
import { navigate } from '../app/router';
import { useSession } from '../app/use-session';
import { InvitePanel } from '../invites/InvitePanel';
import { loadConversation } from './actions';
import { chatStore, useChat } from './store';
import { ensureUsers } from './users';
import { UserPicker } from './UserPicker';

/** A group's name and topic, its members and their roles; leaving. */
export function GroupSettings({ conversationId }: { conversationId: string }) {
  const myId = useSession()?.user.id ?? '';
  const c = useChat((s) => s.conversations.get(conversationId));
  const users = useChat((s) => s.users);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);

  useEffect(() => {
    loadConversation(conversationId).catch((err: unknown) => setError(describeError(err)));
  }, [conversationId]);

  const run = async (call: () => Promise<Conversation | void>) => {
    setError(null);
    try {
      const updated = await call();
      if (updated) {
        chatStore.putConversation(updated);
        await ensureUsers((updated.members ?? []).map((m) => m.userId));
      }
    } catch (err) {
      setError(describeError(err));
    }
  };
  if (!c) return <p className="loading">{error ?? 'Loading…'}</p>;
  const role = c.me.role;
  const manage = role === 'owner' || role === 'admin';
  const path = `/conversations/${conversationId}`;
  const members = c.members ?? [];

  return (
    <section className="page">
      <p>
        <Link href={`/c/${conversationId}`}>← Back to the conversation</Link>
      </p>
      <h1>Group settings</h1>
      <form
        className="form"
        aria-label="Group details"
        onSubmit={(e) => {
          e.preventDefault();
          const data = new FormData(e.currentTarget);
          const topic = String(data.get('topic') ?? '').trim();
          void run(async () => {
            const updated = await api<Conversation>(path, {
              method: 'PATCH',
              body: { name: String(data.get('name')).trim(), topic: topic || null },
            });
            setSaved(true);
            return updated;
          });
        }}
      >
        <div className="field">
          <label htmlFor="g-name">Name</label>
          <input
            id="g-name"
            name="name"
            defaultValue={c.name ?? ''}
            required
            maxLength={100}
            disabled={!manage}
          />
        </div>
        <div className="field">
          <label htmlFor="g-topic">Topic</label>
          <input id="g-topic" name="topic" defaultValue={c.topic ?? ''} maxLength={500} disabled={!manage} />
        </div>
        {manage && <button type="submit">Save</button>}
        {saved && <p role="status">Saved.</p>}
      </form>

      <h2>Members ({members.length})</h2>
      <ul className="member-list">
        {members.map((m) => {
          const u = users.get(m.userId);
          const me = m.userId === myId;
          return (
            <li key={m.userId}>
              <span>
                <strong>{u?.displayName ?? m.userId}</strong> {u && `@${u.username}`}{' '}
                <span className={`role ${m.role}`}>{m.role}</span>
              </span>
              {!me && role === 'owner' && m.role !== 'owner' && (
                <button
                  type="button"
                  onClick={() =>
                    void run(() =>
                      api<Conversation>(`${path}/members/${m.userId}`, {
                        method: 'PATCH',
                        body: { role: (m.role === 'admin' ? 'member' : 'admin') as Role },
                      }),
                    )
                  }
                >
                  {m.role === 'admin' ? 'Make member' : 'Make admin'}
                </button>
              )}
              {!me && role === 'owner' && (
                <button
                  type="button"
                  onClick={() => {
                    if (confirm(`Make ${u?.displayName ?? 'this member'} the owner? You become an admin.`))
                      void run(() =>
                        api<Conversation>(`${path}/owner`, { method: 'PUT', body: { userId: m.userId } }),
                      );
                  }}
                >
                  Transfer ownership
                </button>
              )}
              {!me && manage && (role === 'owner' || m.role === 'member') && (
                <button
                  type="button"
                  onClick={() =>
                    void run(async () => {
                      await api(`${path}/members/${m.userId}`, { method: 'DELETE' });
                      return api<Conversation>(path);
                    })
                  }
                >
                  Remove
                </button>
              )}
            </li>
          );
        })}
      </ul>
      {manage && (
        <UserPicker
          label="Add a member"
          exclude={members.map((m) => m.userId)}
          onPick={(u) => void run(() => api<Conversation>(`${path}/members`, { body: { userIds: [u.id] } }))}
        />
      )}
      {manage && <InvitePanel conversationId={conversationId} />}
      <h2>Leave</h2>
      <button
        type="button"
        className="danger"
        onClick={() => {
          if (!confirm('Leave this group?')) return;
          void run(async () => {
            await api(`${path}/members/${myId}`, { method: 'DELETE' });
            chatStore.removeConversation(conversationId);
            navigate('/');
          });
        }}
      >
        Leave group
      </button>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
    </section>
  );
}
