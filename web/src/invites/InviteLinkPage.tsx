import { useState } from 'react';
import { describeError } from '../api/http';
import { navigate, useLocation } from '../app/router';
import { loadConversations } from '../chat/actions';
import { PENDING_INVITE_KEY, STATUS_LABELS, acceptLink } from './invites-api';

/** The token of an invite link, from the fragment, or held while its holder logged in. */
export function inviteToken(hash: string): string | null {
  return (
    new URLSearchParams(hash.replace(/^#/, '')).get('token') ?? sessionStorage.getItem(PENDING_INVITE_KEY)
  );
}

/** What an emailed or texted invite link opens: join the group as the signed-in user. */
export function InviteLinkPage() {
  const { hash } = useLocation();
  const token = inviteToken(hash);
  const [state, setState] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const join = async () => {
    if (!token) return;
    setBusy(true);
    setError(null);
    try {
      const invite = await acceptLink(token);
      sessionStorage.removeItem(PENDING_INVITE_KEY);
      if (invite.status === 'accepted') {
        await loadConversations();
        navigate(`/c/${invite.conversationId}`, true);
      } else
        setState(
          `Your request to join ${invite.conversationName ?? 'the group'} is ${STATUS_LABELS[invite.status] ?? invite.status}.`,
        );
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="page">
      <h1>Join a group</h1>
      {!token && <p role="alert">This link has no invitation in it. Open the link from the message again.</p>}
      {token && !state && (
        <>
          <p>You were invited to a group conversation.</p>
          <button type="button" onClick={() => void join()} disabled={busy}>
            {busy ? 'Joining…' : 'Join the group'}
          </button>
        </>
      )}
      {state && <p role="status">{state}</p>}
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
    </section>
  );
}
