import { memo, useState } from 'react';
import { describeError } from '../api/http';
import type { Message, PublicUser } from '../api/types';
import { renderMarkdown } from '../markdown/markdown';
import { Attachments } from '../media/Attachments';
import { LedgerDialog } from '../notifications/LedgerDialog';
import { deleteMessage, editMessage, toggleReaction } from './actions';
import { mentionsOf } from './mentions';
import { timeLabel } from './names';

export const QUICK_REACTIONS = ['👍', '❤️', '😂', '🎉', '😮', '😢'];

export interface MessageItemProps {
  message: Message;
  myId: string;
  sender: PublicUser | undefined;
  replyTo: Message | undefined;
  replyToSender: PublicUser | undefined;
  threadReplies: number;
  mentionable: ReadonlySet<string>;
  /** The other members, whom an edit may mention; empty while they are not known yet. */
  members: readonly PublicUser[];
  /** A group's messages may mention everyone. */
  isGroup: boolean;
  myUsername: string;
  canModerate: boolean;
  highlighted: boolean;
  receipt: string | null;
  onReply: (m: Message) => void;
  onThread: (m: Message) => void;
  onJump: (messageId: string) => void;
}

/** One message: sender, time, text as safe markdown, reply quote, reactions and its actions. */
export const MessageItem = memo(function MessageItem(props: MessageItemProps) {
  const { message: m, myId } = props;
  const [editing, setEditing] = useState(false);
  const [ledger, setLedger] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const mine = m.senderId === myId;
  const name = props.sender?.displayName ?? 'Someone';
  const run = (action: () => Promise<void>) => action().catch((err: unknown) => setError(describeError(err)));
  if (m.deletedAt) {
    return (
      <li className="message deleted" data-message-id={m.id} data-seq={m.seq}>
        <span className="tombstone">Message deleted</span>
      </li>
    );
  }
  return (
    <li
      className={`message${mine ? ' mine' : ''}${props.highlighted ? ' highlighted' : ''}`}
      data-message-id={m.id}
      data-seq={m.seq}
      tabIndex={-1}
      aria-label={`${name}, ${timeLabel(m.createdAt)}`}
    >
      <div className="message-meta">
        <span className="sender">{name}</span>
        <time dateTime={m.createdAt}>{timeLabel(m.createdAt)}</time>
        {m.editedAt && <span className="edited">(edited)</span>}
      </div>
      {m.replyToId && (
        <button type="button" className="reply-quote" onClick={() => props.onJump(m.replyToId as string)}>
          <span className="sr-only">In reply to </span>
          <strong>{props.replyToSender?.displayName ?? 'a message'}</strong>{' '}
          {props.replyTo ? props.replyTo.text.slice(0, 100) : ''}
        </button>
      )}
      {editing ? (
        <EditBox
          initial={m.text}
          onCancel={() => setEditing(false)}
          onSave={(text) =>
            run(async () => {
              const { mentions, mentionsEveryone } = mentionsOf(text, props.members, props.isGroup);
              // The members' mentions only with the members known: an empty list would take every
              // mention away. Everyone's is always said, so an edit that drops `@everyone` clears it.
              await editMessage(m.id, {
                text,
                ...(props.members.length > 0 ? { mentions } : {}),
                mentionsEveryone,
              });
              setEditing(false);
            })
          }
        />
      ) : (
        <div className="message-body">
          {renderMarkdown(m.text, { mentionable: props.mentionable, me: props.myUsername })}
        </div>
      )}
      {m.attachments.length > 0 && <Attachments attachments={m.attachments} />}
      {m.reactions.length > 0 && (
        <ul className="reactions" aria-label="Reactions">
          {m.reactions.map((r) => (
            <li key={r.emoji}>
              <button
                type="button"
                aria-pressed={r.userIds.includes(myId)}
                aria-label={`${r.emoji} ${r.userIds.length}, ${r.userIds.includes(myId) ? 'remove your reaction' : 'react'}`}
                onClick={() => void run(() => toggleReaction(m, r.emoji, myId))}
              >
                {r.emoji} {r.userIds.length}
              </button>
            </li>
          ))}
        </ul>
      )}
      {props.threadReplies > 0 && (
        <button type="button" className="thread-link" onClick={() => props.onThread(m)}>
          {props.threadReplies} {props.threadReplies === 1 ? 'reply' : 'replies'} in thread
        </button>
      )}
      <div className="message-actions" role="group" aria-label="Message actions">
        {QUICK_REACTIONS.slice(0, 3).map((emoji) => (
          <button
            key={emoji}
            type="button"
            aria-label={`React with ${emoji}`}
            onClick={() => void run(() => toggleReaction(m, emoji, myId))}
          >
            {emoji}
          </button>
        ))}
        <button type="button" onClick={() => props.onReply(m)}>
          Reply
        </button>
        {!m.threadRootId && (
          <button type="button" onClick={() => props.onThread(m)}>
            Thread
          </button>
        )}
        {mine && (
          <button type="button" onClick={() => setEditing(true)}>
            Edit
          </button>
        )}
        {mine && (
          <button type="button" onClick={() => setLedger(true)}>
            Delivery
          </button>
        )}
        {(mine || props.canModerate) && (
          <button
            type="button"
            onClick={() => {
              if (confirm('Delete this message for everyone?')) void run(() => deleteMessage(m.id));
            }}
          >
            Delete
          </button>
        )}
      </div>
      {ledger && <LedgerDialog messageId={m.id} onClose={() => setLedger(false)} />}
      {props.receipt && (
        <p className="receipt" aria-live="polite">
          {props.receipt}
        </p>
      )}
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
    </li>
  );
});

function EditBox(props: { initial: string; onSave: (text: string) => void; onCancel: () => void }) {
  const [text, setText] = useState(props.initial);
  return (
    <form
      className="edit-box"
      onSubmit={(e) => {
        e.preventDefault();
        if (text.trim()) props.onSave(text);
      }}
    >
      <label className="sr-only" htmlFor="edit-text">
        Edit message
      </label>
      <textarea
        id="edit-text"
        value={text}
        autoFocus
        maxLength={4000}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Escape') props.onCancel();
          if (e.key === 'Enter' && !e.shiftKey) {
            e.preventDefault();
            if (text.trim()) props.onSave(text);
          }
        }}
      />
      <button type="submit">Save</button>
      <button type="button" onClick={props.onCancel}>
        Cancel
      </button>
    </form>
  );
}
