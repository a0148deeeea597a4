import { useCallback, useEffect, useState } from 'react';
import { describeError } from '../api/http';
import { navigate } from '../app/router';
import { loadConversations } from '../chat/actions';
import { type Invite, STATUS_LABELS, actOnInvite, listInvites } from './invites-api';

/** Invitations to groups sent to the user in the app. */
export function InvitesPage() {
  const [invites, setInvites] = useState<Invite[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(() => {
    listInvites({ status: 'open' }).then(setInvites, (err: unknown) => setError(describeError(err)));
  }, []);
  useEffect(load, [load]);
  const answer = async (invite: Invite, action: 'accept' | 'decline') => {
    setError(null);
    try {
      const result = await actOnInvite(invite.id, action);
      if (result.status === 'accepted') {
        await loadConversations();
        navigate(`/c/${result.conversationId}`);
      } else load();
    } catch (err) {
      setError(describeError(err));
    }
  };
  return (
    <section className="page">
      <h1>Invitations</h1>
      {invites?.length === 0 && <p>No open invitations.</p>}
      <ul className="member-list">
        {invites?.map((i) => (
          <li key={i.id}>
            <span>
              <strong>{i.conversationName ?? 'A group'}</strong>
              <br />
              <small>
                from {i.inviterName ?? 'a member'} · {STATUS_LABELS[i.status] ?? i.status} · until{' '}
                {new Date(i.expiresAt).toLocaleDateString()}
              </small>
            </span>
            {i.status === 'pending' && (
              <span>
                <button type="button" onClick={() => void answer(i, 'accept')}>
                  Join
                </button>{' '}
                <button type="button" onClick={() => void answer(i, 'decline')}>
                  Decline
                </button>
              </span>
            )}
          </li>
        ))}
      </ul>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
    </section>
  );
}
