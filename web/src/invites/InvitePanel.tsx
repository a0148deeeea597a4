import { useCallback, useEffect, useState } from 'react';
import { describeError } from '../api/http';
import {
  type Invite,
  type InviteAction,
  STATUS_LABELS,
  actOnInvite,
  createInvite,
  listInvites,
} from './invites-api';

type Kind = 'username' | 'email' | 'phone';

const PLACEHOLDERS: Record<Kind, string> = {
  username: 'their username',
  email: 'name@example.com',
  phone: '+14155550100',
};

/** Admins invite by username, email or phone, and follow, withdraw, approve or reject invites. */
export function InvitePanel({ conversationId }: { conversationId: string }) {
  const [kind, setKind] = useState<Kind>('username');
  const [value, setValue] = useState('');
  const [invites, setInvites] = useState<Invite[]>([]);
  const [status, setStatus] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(() => {
    listInvites({ status: 'all', conversationId }).then(setInvites, (err: unknown) =>
      setError(describeError(err)),
    );
  }, [conversationId]);
  useEffect(load, [load]);
  const act = (id: string, action: InviteAction) =>
    actOnInvite(id, action).then(load, (err: unknown) => setError(describeError(err)));
  return (
    <section aria-labelledby="invite-heading">
      <h2 id="invite-heading">Invite people</h2>
      <form
        className="invite-form"
        aria-label="Invite someone"
        onSubmit={(e) => {
          e.preventDefault();
          setError(null);
          setStatus(null);
          createInvite(conversationId, { [kind]: value.trim() }).then(
            (invite) => {
              setValue('');
              setStatus(
                invite.channel === 'in_app'
                  ? 'Invited: they will see it in Parley.'
                  : `Invited by ${invite.channel}.`,
              );
              load();
            },
            (err: unknown) => setError(describeError(err)),
          );
        }}
      >
        <label htmlFor="invite-kind" className="sr-only">
          Invite by
        </label>
        <select id="invite-kind" value={kind} onChange={(e) => setKind(e.target.value as Kind)}>
          <option value="username">Username</option>
          <option value="email">Email</option>
          <option value="phone">Phone</option>
        </select>
        <label htmlFor="invite-value" className="sr-only">
          {kind}
        </label>
        <input
          id="invite-value"
          required
          value={value}
          type={kind === 'email' ? 'email' : kind === 'phone' ? 'tel' : 'text'}
          placeholder={PLACEHOLDERS[kind]}
          onChange={(e) => setValue(e.target.value)}
        />
        <button type="submit">Invite</button>
      </form>
      {status && <p role="status">{status}</p>}
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {invites.length > 0 && (
        <ul className="member-list invite-list" aria-label="Invites">
          {invites.map((i) => (
            <li key={i.id}>
              <span>
                <strong>{i.target.username ?? i.target.email ?? i.target.phone}</strong>{' '}
                <small>
                  by {i.channel.replace('_', '-')} · {STATUS_LABELS[i.status] ?? i.status}
                </small>
              </span>
              {i.status === 'awaiting_approval' && (
                <>
                  <button type="button" onClick={() => void act(i.id, 'approve')}>
                    Approve
                  </button>
                  <button type="button" onClick={() => void act(i.id, 'reject')}>
                    Reject
                  </button>
                </>
              )}
              {(i.status === 'pending' || i.status === 'awaiting_approval') && (
                <button type="button" onClick={() => void act(i.id, 'revoke')}>
                  Withdraw
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
