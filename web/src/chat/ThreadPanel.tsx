import { useEffect, useState } from 'react';
import { describeError } from '../api/http';
import type { Message, PublicUser } from '../api/types';
import { useSession } from '../app/use-session';
import { renderMarkdown } from '../markdown/markdown';
import { loadThread } from './actions';
import { Composer } from './Composer';
import { timeLabel } from './names';
import { chatStore, useChat } from './store';

/** A thread beside the conversation: the root message, its replies, and a composer for more. */
export function ThreadPanel(props: {
  root: Message;
  conversationId: string;
  members: PublicUser[];
  isGroup: boolean;
  mentionable: ReadonlySet<string>;
  myUsername: string;
  onClose: () => void;
}) {
  const myId = useSession()?.user.id ?? '';
  const users = useChat((s) => s.users);
  const loaded = useChat((s) => s.messages.get(props.conversationId));
  const pending = useChat((s) => s.pending).filter((p) => p.threadRootId === props.root.id);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    loadThread(props.conversationId, props.root.id).then(
      (items) => chatStore.mergeMessages(props.conversationId, items),
      (err: unknown) => setError(describeError(err)),
    );
  }, [props.conversationId, props.root.id]);
  const replies = (loaded ?? []).filter((m) => m.threadRootId === props.root.id);
  const render = (m: Message) => (
    <li key={m.id} className={`message${m.senderId === myId ? ' mine' : ''}`} data-message-id={m.id}>
      <div className="message-meta">
        <span className="sender">{users.get(m.senderId)?.displayName ?? 'Someone'}</span>
        <time dateTime={m.createdAt}>{timeLabel(m.createdAt)}</time>
      </div>
      <div className="message-body">
        {m.deletedAt
          ? 'Message deleted'
          : renderMarkdown(m.text, { mentionable: props.mentionable, me: props.myUsername })}
      </div>
    </li>
  );
  return (
    <aside className="thread-panel" aria-label="Thread">
      <header>
        <h2>Thread</h2>
        <button type="button" aria-label="Close thread" onClick={props.onClose}>
          ✕
        </button>
      </header>
      <ol className="messages thread-messages">
        {render(props.root)}
        {replies.map(render)}
        {pending.map((p) => (
          <li key={p.clientMessageId} className="message mine pending">
            <div className="message-body">{p.text}</div>
          </li>
        ))}
      </ol>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <Composer
        conversationId={props.conversationId}
        members={props.members}
        isGroup={props.isGroup}
        replyTo={null}
        replyToName={null}
        threadRootId={props.root.id}
        onClearReply={() => undefined}
        label="Reply in thread"
      />
    </aside>
  );
}
