import { useState } from 'react';
import { api, describeError } from '../api/http';
import type { Conversation, PublicUser } from '../api/types';
import { navigate } from '../app/router';
import { useSession } from '../app/use-session';
import { chatStore } from './store';
import { ensureUsers } from './users';
import { UserPicker } from './UserPicker';

/** Start a direct conversation with one person, or a group with a name and members. */
export function NewConversation() {
  const myId = useSession()?.user.id ?? '';
  const [mode, setMode] = useState<'direct' | 'group'>('direct');
  const [members, setMembers] = useState<PublicUser[]>([]);
  const [name, setName] = useState('');
  const [topic, setTopic] = useState('');
  const [error, setError] = useState<string | null>(null);

  const open = async (body: object) => {
    setError(null);
    try {
      const c = await api<Conversation>('/conversations', { body });
      chatStore.putConversation(c);
      await ensureUsers((c.members ?? []).map((m) => m.userId));
      navigate(`/c/${c.id}`);
    } catch (err) {
      setError(describeError(err));
    }
  };

  return (
    <section className="page">
      <h1>New conversation</h1>
      <div role="radiogroup" aria-label="Kind of conversation" className="segmented">
        <label>
          <input type="radio" name="kind" checked={mode === 'direct'} onChange={() => setMode('direct')} />{' '}
          Direct
        </label>
        <label>
          <input type="radio" name="kind" checked={mode === 'group'} onChange={() => setMode('group')} />{' '}
          Group
        </label>
      </div>
      {mode === 'direct' ? (
        <UserPicker
          label="Find a person"
          exclude={[myId]}
          onPick={(u) => void open({ type: 'direct', userId: u.id })}
        />
      ) : (
        <form
          className="form"
          aria-label="Create a group"
          onSubmit={(e) => {
            e.preventDefault();
            void open({
              type: 'group',
              name: name.trim(),
              ...(topic.trim() ? { topic: topic.trim() } : {}),
              memberIds: members.map((m) => m.id),
            });
          }}
        >
          <div className="field">
            <label htmlFor="group-name">Group name</label>
            <input
              id="group-name"
              required
              maxLength={100}
              value={name}
              onChange={(e) => setName(e.target.value)}
            />
          </div>
          <div className="field">
            <label htmlFor="group-topic">Topic (optional)</label>
            <input
              id="group-topic"
              maxLength={500}
              value={topic}
              onChange={(e) => setTopic(e.target.value)}
            />
          </div>
          <UserPicker
            label="Add members"
            exclude={[myId, ...members.map((m) => m.id)]}
            onPick={(u) => setMembers([...members, u])}
          />
          {members.length > 0 && (
            <ul className="chips" aria-label="Members to add">
              {members.map((m) => (
                <li key={m.id}>
                  {m.displayName}
                  <button
                    type="button"
                    aria-label={`Remove ${m.displayName}`}
                    onClick={() => setMembers(members.filter((x) => x.id !== m.id))}
                  >
                    ✕
                  </button>
                </li>
              ))}
            </ul>
          )}
          <button type="submit">Create group</button>
        </form>
      )}
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
    </section>
  );
}
