import { type KeyboardEvent, useMemo } from 'react';
import { Link } from '../app/Link';
import { useSession } from '../app/use-session';
import { conversationTitle, initials, otherMember, timeLabel } from './names';
import { useChat } from './store';
import { AvatarImage } from '../media/AvatarImage';

/** The user's conversations, most recent first; arrow keys move between them. */
export function ConversationList({ activeId }: { activeId: string | null }) {
  const me = useSession()?.user.id ?? '';
  const conversations = useChat((s) => s.conversations);
  const users = useChat((s) => s.users);
  const presence = useChat((s) => s.presence);
  const sorted = useMemo(
    () =>
      [...conversations.values()]
        .filter((c) => !c.me.archived)
        .sort((a, b) => b.lastActivity.localeCompare(a.lastActivity)),
    [conversations],
  );
  const onKeyDown = (event: KeyboardEvent<HTMLUListElement>) => {
    if (event.key !== 'ArrowDown' && event.key !== 'ArrowUp') return;
    const links = [...event.currentTarget.querySelectorAll<HTMLAnchorElement>('a.conversation-link')];
    const at = links.indexOf(document.activeElement as HTMLAnchorElement);
    const next = links[Math.max(0, Math.min(links.length - 1, at + (event.key === 'ArrowDown' ? 1 : -1)))];
    next?.focus();
    event.preventDefault();
  };
  if (sorted.length === 0) return <p className="empty">No conversations yet.</p>;
  return (
    <ul className="conversation-list" onKeyDown={onKeyDown}>
      {sorted.map((c) => {
        const title = conversationTitle(c, users, me);
        const other = otherMember(c, me);
        const status = other ? (presence.get(other)?.status ?? 'offline') : null;
        const unread = c.me.muted ? 0 : (c.unreadCount ?? 0);
        const sender =
          c.lastMessage && c.type === 'group' ? users.get(c.lastMessage.senderId)?.displayName : null;
        const preview = c.lastMessage
          ? c.lastMessage.preview || (c.lastMessage.deleted ? 'Message deleted' : '')
          : 'No messages yet';
        const label = [
          title,
          status && `(${status})`,
          unread ? `${unread} unread` : null,
          c.me.muted ? 'muted' : null,
        ]
          .filter(Boolean)
          .join(', ');
        return (
          <li key={c.id}>
            <Link
              href={`/c/${c.id}`}
              className={`conversation-link${c.id === activeId ? ' active' : ''}`}
              aria-current={c.id === activeId ? 'page' : undefined}
              aria-label={label}
              data-conversation-id={c.id}
            >
              <span className="avatar" aria-hidden="true">
                <AvatarImage
                  mediaId={other ? users.get(other)?.avatarMediaId : null}
                  initials={initials(title)}
                />
                {status && <span className={`presence-dot ${status}`} />}
              </span>
              <span className="conversation-text">
                <span className="conversation-title">
                  <span className="name">{title}</span>
                  {c.me.muted && (
                    <span className="muted-mark" aria-hidden="true" title="Muted">
                      🔕
                    </span>
                  )}
                  <time dateTime={c.lastActivity}>{timeLabel(c.lastActivity)}</time>
                </span>
                <span className="preview">
                  {sender ? `${sender}: ` : ''}
                  {preview}
                </span>
              </span>
              {unread > 0 && (
                <span className="unread-badge" aria-hidden="true">
                  {unread > 99 ? '99+' : unread}
                </span>
              )}
            </Link>
          </li>
        );
      })}
    </ul>
  );
}
