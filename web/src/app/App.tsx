import { useEffect, useState } from 'react';
import { AdminPage } from '../admin/AdminPage';
import { api, session } from '../api/http';
import {
  LoginPage,
  OidcCallbackPage,
  RegisterPage,
  ResetPasswordPage,
  VerifyEmailPage,
} from '../auth/AuthPages';
import { loadConversations } from '../chat/actions';
import { ConversationList } from '../chat/ConversationList';
import { ConversationView } from '../chat/ConversationView';
import { InviteLinkPage } from '../invites/InviteLinkPage';
import { PENDING_INVITE_KEY, listInvites } from '../invites/invites-api';
import { InvitesPage } from '../invites/InvitesPage';
import { GroupSettings } from '../chat/GroupSettings';
import { NewConversation } from '../chat/NewConversation';
import { chatStore, useChat } from '../chat/store';
import { connection } from '../realtime/connection';
import { SearchPage } from '../search/SearchPage';
import { NotificationSettings } from '../settings/NotificationSettings';
import { ProfilePage } from '../settings/ProfilePage';
import { SessionsPage } from '../settings/SessionsPage';
import { Icon } from './Icon';
import { Link } from './Link';
import { match, navigate, useLocation } from './router';
import { rolesOf, useSession } from './use-session';
import { forgetPushHere } from '../notifications/notifications-api';

const PUBLIC = ['/login', '/register', '/verify-email', '/reset-password', '/oidc/callback'];

export function App() {
  const current = useSession();
  const { path, hash } = useLocation();
  const userId = current?.user.id;

  useEffect(() => {
    if (!userId) {
      connection.stop();
      chatStore.reset();
      return;
    }
    // The list is read at once, so it shows while the socket connects; each connect reads it
    // again, as a conversation's copy read before the socket joined its room may lack a message
    // published meanwhile (`auth.sync` covers only conversations with messages loaded). A read
    // still running then stops after its page in flight and the newer one takes over, so a start
    // costs one full read plus the pages asked before the socket connected.
    const stopReading = connection.onConnect(() => void loadConversations().catch(() => undefined));
    connection.start(userId);
    void loadConversations().catch(() => undefined);
    return stopReading;
  }, [userId]);

  useEffect(() => {
    if (current) {
      // An invite link opened before logging in: back to it now.
      if (path === '/' && sessionStorage.getItem(PENDING_INVITE_KEY)) navigate('/invite', true);
      return;
    }
    if (path === '/invite') {
      const token = new URLSearchParams(location.hash.slice(1)).get('token');
      if (token) sessionStorage.setItem(PENDING_INVITE_KEY, token);
    }
    if (!PUBLIC.includes(path)) navigate('/login', true);
  }, [current, path]);

  // Keyed by the fragment: a second emailed link opened in the same tab starts afresh.
  if (path === '/verify-email') return <VerifyEmailPage key={hash} />;
  if (path === '/reset-password') return <ResetPasswordPage key={hash} />;
  if (path === '/oidc/callback') return <OidcCallbackPage />;
  if (!current) return path === '/register' ? <RegisterPage /> : <LoginPage />;
  if (path === '/login' || path === '/register') {
    navigate('/', true);
    return null;
  }
  return <Shell path={path} admin={rolesOf(current).includes('admin')} />;
}

function Shell({ path, admin }: { path: string; admin: boolean }) {
  const conversation = match('/c/:id', path);
  const settings = match('/c/:id/settings', path);
  let main: React.ReactNode;
  if (conversation)
    main = <ConversationView key={conversation.id} conversationId={conversation.id as string} />;
  else if (settings) main = <GroupSettings conversationId={settings.id as string} />;
  else if (path === '/new') main = <NewConversation />;
  else if (path === '/search') main = <SearchPage />;
  else if (path === '/settings/profile') main = <ProfilePage />;
  else if (path === '/settings/sessions') main = <SessionsPage />;
  else if (path === '/settings/notifications') main = <NotificationSettings />;
  else if (path === '/admin') main = <AdminPage />;
  else if (path === '/invites') main = <InvitesPage />;
  else if (path === '/invite') main = <InviteLinkPage />;
  else main = <Welcome />;
  // On a phone the list and the open screen take turns; the list shows at the root only.
  const atRoot = path === '/';
  return (
    <div className={`shell ${atRoot ? 'at-root' : 'in-screen'}`}>
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <aside className="sidebar" aria-label="Conversations">
        <header className="sidebar-header">
          <Link href="/" className="brand">
            Parley
          </Link>
          <nav aria-label="Main" className="main-nav">
            <Link href="/search" aria-label="Search messages" title="Search">
              <Icon name="search" />
            </Link>
            <Link href="/new" aria-label="New conversation" title="New conversation">
              <Icon name="plus" />
            </Link>
            <Link href="/settings/profile" aria-label="Settings" title="Settings">
              <Icon name="settings" />
            </Link>
            {admin && (
              <Link href="/admin" aria-label="Administration" title="Administration">
                <Icon name="chart" />
              </Link>
            )}
          </nav>
        </header>
        <ConnectionBanner />
        <InvitesBanner />
        <ConversationList activeId={conversation?.id ?? settings?.id ?? null} />
      </aside>
      <main id="main" className="main" tabIndex={-1}>
        {!conversation && !atRoot && (
          <Link href="/" className="back phone-back">
            ← Conversations
          </Link>
        )}
        {main}
      </main>
    </div>
  );
}

function ConnectionBanner() {
  const state = useChat((s) => s.connection);
  if (state === 'crowded') {
    return (
      <p role="status" className="banner offline">
        Parley is open in too many tabs or devices: close some, and this one connects again. Messages you send
        meanwhile are queued.
      </p>
    );
  }
  return state === 'offline' ? (
    <p role="status" className="banner offline">
      Offline: messages you send are queued and go out when you are back.
    </p>
  ) : null;
}

/** A line over the list while invitations wait for an answer. */
function InvitesBanner() {
  const [count, setCount] = useState(0);
  const { path } = useLocation();
  useEffect(() => {
    listInvites({ status: 'open' }).then(
      (items) => setCount(items.filter((i) => i.status === 'pending').length),
      () => undefined,
    );
  }, [path]);
  return count > 0 ? (
    <Link href="/invites" className="banner invites">
      {count === 1 ? '1 invitation' : `${count} invitations`} to join a group
    </Link>
  ) : null;
}

function Welcome() {
  return (
    <section className="welcome">
      <h1>Welcome to Parley</h1>
      <p>Pick a conversation, or start a new one.</p>
      <p>
        <Link href="/new" className="button">
          New conversation
        </Link>
      </p>
    </section>
  );
}

/** Logs out on the server, then locally; this browser stops getting the account's pushes first. */
export async function logOut(): Promise<void> {
  await forgetPushHere().catch(() => undefined);
  await api('/sessions/current', { method: 'DELETE' }).catch(() => undefined);
  session.set(null);
  navigate('/login', true);
}
