import {
  type KeyboardEvent,
  useCallback,
  useEffect,
  useLayoutEffect,
  useMemo,
  useRef,
  useState,
} from 'react';
import { describeError } from '../api/http';
import type { Message, PublicUser } from '../api/types';
import { Link } from '../app/Link';
import { navigate, useLocation } from '../app/router';
import { useSession } from '../app/use-session';
import { AttachmentPicker, type Upload, useUploads } from '../media/AttachmentPicker';
import { ConversationLevel } from '../notifications/ConversationLevel';
import { connection } from '../realtime/connection';
import {
  loadAround,
  loadConversation,
  loadLatest,
  loadNewer,
  loadOlder,
  loadReceipts,
  markRead,
  retryPending,
  setMuted,
} from './actions';
import { Composer } from './Composer';
import { MessageItem } from './MessageItem';
import { conversationTitle, otherMember } from './names';
import { chatStore, useChat } from './store';
import { ThreadPanel } from './ThreadPanel';
import { TypingLine } from './TypingLine';

const EMPTY: Message[] = [];

/** One conversation: history that loads on scroll back, live messages, receipts, the composer. */
export function ConversationView({ conversationId }: { conversationId: string }) {
  const me = useSession()?.user;
  const myId = me?.id ?? '';
  const { search } = useLocation();
  const jumpTo = search.get('m');
  const conversation = useChat((s) => s.conversations.get(conversationId));
  const all = useChat((s) => s.messages.get(conversationId)) ?? EMPTY;
  const hasOlder = useChat((s) => s.hasOlder.get(conversationId) ?? false);
  const hasNewer = useChat((s) => s.hasNewer.get(conversationId) ?? false);
  const users = useChat((s) => s.users);
  const presence = useChat((s) => s.presence);
  const pendingAll = useChat((s) => s.pending);
  const readCursors = useChat((s) => s.readCursors.get(conversationId));
  const deliveredCursors = useChat((s) => s.deliveredCursors.get(conversationId));
  const [error, setError] = useState<string | null>(null);
  const [replyTo, setReplyTo] = useState<Message | null>(null);
  const [thread, setThread] = useState<Message | null>(null);
  const [uploads, setUploads] = useState<Upload[]>([]);
  const [dragging, setDragging] = useState(false);
  const startUploads = useUploads(setUploads);
  const scroller = useRef<HTMLOListElement>(null);
  const stickToBottom = useRef(true);
  const loadingOlder = useRef(false);
  const anchor = useRef<{ height: number; top: number } | null>(null);

  // Load the conversation and the page to show: around a searched message, or the latest.
  useEffect(() => {
    connection.viewing = conversationId;
    setError(null);
    loadConversation(conversationId)
      .then(() => (jumpTo ? loadAround(conversationId, jumpTo) : loadLatest(conversationId)))
      .catch((err: unknown) => setError(describeError(err)));
    return () => {
      if (connection.viewing === conversationId) connection.viewing = null;
    };
  }, [conversationId, jumpTo]);

  const messages = useMemo(() => all.filter((m) => !m.threadRootId), [all]);
  const replies = useMemo(() => {
    const count = new Map<string, number>();
    for (const m of all) if (m.threadRootId) count.set(m.threadRootId, (count.get(m.threadRootId) ?? 0) + 1);
    return count;
  }, [all]);
  const pending = pendingAll.filter((p) => p.conversationId === conversationId && !p.threadRootId);
  const members: PublicUser[] = useMemo(
    () =>
      (conversation?.members ?? [])
        .filter((m) => m.userId !== myId)
        .map((m) => users.get(m.userId))
        .filter((u): u is PublicUser => u !== undefined),
    [conversation?.members, users, myId],
  );
  const mentionable = useMemo(
    () => new Set([...members.map((u) => u.username), me?.username ?? '']),
    [members, me],
  );

  // Mark what is on screen read while the tab is visible.
  const last = messages.at(-1);
  useEffect(() => {
    const mark = () => {
      if (last && document.visibilityState === 'visible' && !hasNewer) markRead(conversationId, last.seq);
    };
    mark();
    document.addEventListener('visibilitychange', mark);
    return () => document.removeEventListener('visibilitychange', mark);
  }, [conversationId, last, hasNewer]);

  // "Seen by" for the caller's latest message: seeded from the API, then live from receipts.
  const myLast = useMemo(
    () => [...messages].reverse().find((m) => m.senderId === myId && !m.deletedAt),
    [messages, myId],
  );
  useEffect(() => {
    if (myLast) void loadReceipts(myLast).catch(() => undefined);
  }, [myLast]);
  const receipt = useMemo(() => {
    if (!myLast || !conversation) return null;
    const others = (conversation.members ?? []).filter((m) => m.userId !== myId);
    const readers = others.filter((m) => (readCursors?.get(m.userId) ?? 0) >= myLast.seq);
    if (readers.length > 0) {
      const names = readers.map((m) => users.get(m.userId)?.displayName ?? 'someone');
      return conversation.type === 'direct' ? 'Seen' : `Seen by ${names.join(', ')}`;
    }
    const delivered = others.some((m) => (deliveredCursors?.get(m.userId) ?? 0) >= myLast.seq);
    return delivered ? 'Delivered' : 'Sent';
  }, [myLast, conversation, readCursors, deliveredCursors, users, myId]);

  // Scroll: keep the bottom in view for new messages, keep the place when older ones load above.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    if (anchor.current) {
      el.scrollTop = el.scrollHeight - anchor.current.height + anchor.current.top;
      anchor.current = null;
    } else if (jumpTo && all.some((m) => m.id === jumpTo)) {
      return;
    } else if (stickToBottom.current) {
      el.scrollTop = el.scrollHeight;
    }
  }, [messages.length, pending.length, jumpTo, all]);

  useEffect(() => {
    if (!jumpTo) return;
    const target = scroller.current?.querySelector<HTMLElement>(`[data-message-id="${CSS.escape(jumpTo)}"]`);
    if (target) {
      stickToBottom.current = false;
      target.scrollIntoView({ block: 'center' });
      target.focus({ preventScroll: true });
    }
  }, [jumpTo, all]);

  const onScroll = useCallback(() => {
    const el = scroller.current;
    if (!el) return;
    stickToBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
    if (el.scrollTop < 120 && hasOlder && !loadingOlder.current) {
      loadingOlder.current = true;
      anchor.current = { height: el.scrollHeight, top: el.scrollTop };
      void loadOlder(conversationId)
        .catch((err: unknown) => setError(describeError(err)))
        .finally(() => {
          loadingOlder.current = false;
        });
    }
    if (stickToBottom.current && hasNewer) void loadNewer(conversationId).catch(() => undefined);
  }, [conversationId, hasOlder, hasNewer]);

  /** Arrow keys move between messages; Escape returns to the composer. */
  const moveFocus = useCallback((event: KeyboardEvent<HTMLOListElement>) => {
    const items = [...event.currentTarget.querySelectorAll<HTMLElement>('li.message')];
    if (items.length === 0) return;
    const at = items.findIndex((el) => el === document.activeElement || el.contains(document.activeElement));
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      if ((event.target as HTMLElement).tagName === 'TEXTAREA') return;
      event.preventDefault();
      const next = at < 0 ? items.length - 1 : at + (event.key === 'ArrowDown' ? 1 : -1);
      items[Math.max(0, Math.min(items.length - 1, next))]?.focus();
    } else if (event.key === 'Escape') {
      event.currentTarget
        .closest('section')
        ?.querySelector<HTMLTextAreaElement>('form.composer textarea')
        ?.focus();
    }
  }, []);

  const jump = useCallback(
    (messageId: string) => navigate(`/c/${conversationId}?m=${encodeURIComponent(messageId)}`),
    [conversationId],
  );

  if (error && !conversation) {
    return (
      <section className="conversation">
        <p role="alert" className="error">
          {error}
        </p>
        <Link href="/">Back</Link>
      </section>
    );
  }
  if (!conversation) return <p className="loading">Loading…</p>;

  const title = conversationTitle(conversation, users, myId);
  const other = otherMember(conversation, myId);
  const status = other ? (presence.get(other)?.status ?? 'offline') : null;
  const isGroup = conversation.type === 'group';
  const canModerate = conversation.me.role !== 'member' && isGroup;

  return (
    <div className={`conversation-layout${thread ? ' with-thread' : ''}`}>
      <section
        className={`conversation${dragging ? ' dragging' : ''}`}
        aria-label={`Conversation: ${title}`}
        onDragOver={(e) => {
          if (!e.dataTransfer.types.includes('Files')) return;
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={(e) => {
          if (e.currentTarget === e.target) setDragging(false);
        }}
        onDrop={(e) => {
          if (!e.dataTransfer.files.length) return;
          e.preventDefault();
          setDragging(false);
          startUploads(e.dataTransfer.files);
        }}
      >
        <header className="conversation-header">
          <Link href="/" className="back" aria-label="Back to conversations">
            ←
          </Link>
          <div className="conversation-heading">
            <h1>{title}</h1>
            <p className="subtitle">
              {status ? (
                <>
                  <span className={`presence-dot inline ${status}`} aria-hidden="true" /> {status}
                </>
              ) : (
                `${conversation.members?.length ?? 0} members${conversation.topic ? ` · ${conversation.topic}` : ''}`
              )}
            </p>
          </div>
          <ConversationLevel conversationId={conversationId} />
          <button
            type="button"
            className="secondary"
            aria-pressed={conversation.me.muted}
            onClick={() =>
              void setMuted(conversationId, !conversation.me.muted).catch((e: unknown) =>
                setError(describeError(e)),
              )
            }
          >
            {conversation.me.muted ? 'Unmute' : 'Mute'}
          </button>
          {isGroup && (
            <Link href={`/c/${conversationId}/settings`} className="button secondary">
              Group settings
            </Link>
          )}
        </header>
        <ol
          className="messages"
          ref={scroller}
          onScroll={onScroll}
          onKeyDown={moveFocus}
          tabIndex={0}
          aria-label="Messages (arrow keys move between them)"
          aria-live="polite"
          aria-relevant="additions"
        >
          {hasOlder && (
            <li className="history-marker">
              <button type="button" onClick={() => void loadOlder(conversationId)}>
                Load earlier messages
              </button>
            </li>
          )}
          {!hasOlder && messages.length > 0 && <li className="history-marker">Start of the conversation</li>}
          {messages.map((m) => (
            <MessageItem
              key={m.id}
              message={m}
              myId={myId}
              sender={users.get(m.senderId)}
              replyTo={m.replyToId ? all.find((x) => x.id === m.replyToId) : undefined}
              replyToSender={
                m.replyToId ? users.get(all.find((x) => x.id === m.replyToId)?.senderId ?? '') : undefined
              }
              threadReplies={replies.get(m.id) ?? 0}
              mentionable={mentionable}
              members={members}
              isGroup={isGroup}
              myUsername={me?.username ?? ''}
              canModerate={canModerate}
              highlighted={m.id === jumpTo}
              receipt={m.id === myLast?.id && pending.length === 0 ? receipt : null}
              onReply={setReplyTo}
              onThread={setThread}
              onJump={jump}
            />
          ))}
          {hasNewer && (
            <li className="history-marker">
              <button type="button" onClick={() => void loadNewer(conversationId)}>
                Load newer messages
              </button>
            </li>
          )}
          {pending.map((p) => (
            <li key={p.clientMessageId} className={`message mine pending ${p.state}`} data-pending={p.state}>
              <div className="message-body">{p.text}</div>
              <p className="receipt">
                {p.state === 'failed' ? (
                  <>
                    Not sent: {p.error}{' '}
                    <button type="button" onClick={() => chatStore.dropPending(p.clientMessageId)}>
                      Discard
                    </button>
                  </>
                ) : p.state === 'queued' ? (
                  <>
                    Waiting for a connection…{' '}
                    <button type="button" onClick={() => retryPending(p.clientMessageId)}>
                      Retry
                    </button>
                  </>
                ) : (
                  'Sending…'
                )}
              </p>
            </li>
          ))}
        </ol>
        <TypingLine conversationId={conversationId} />
        {error && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
        <Composer
          conversationId={conversationId}
          members={members}
          isGroup={isGroup}
          replyTo={replyTo}
          replyToName={replyTo ? (users.get(replyTo.senderId)?.displayName ?? null) : null}
          onClearReply={() => setReplyTo(null)}
          label={`Message ${title}`}
          attachments={uploads.filter((u) => u.mediaId).map((u) => ({ mediaId: u.mediaId as string }))}
          busy={uploads.some((u) => !u.mediaId && !u.error)}
          onSent={() => {
            setUploads((list) => list.filter((u) => !u.mediaId && !u.error));
            stickToBottom.current = true;
          }}
        >
          <AttachmentPicker
            uploads={uploads}
            onFiles={startUploads}
            onRemove={(id) => setUploads((list) => list.filter((u) => u.localId !== id))}
          />
        </Composer>
      </section>
      {thread && (
        <ThreadPanel
          root={thread}
          conversationId={conversationId}
          members={members}
          isGroup={isGroup}
          mentionable={mentionable}
          myUsername={me?.username ?? ''}
          onClose={() => setThread(null)}
        />
      )}
    </div>
  );
}
