import { type KeyboardEvent, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import type { Message, PublicUser } from '../api/types';
import { connection } from '../realtime/connection';
import { sendMessage } from './actions';
import { mentionsOf } from './mentions';

const TYPING_EVERY_MS = 2_000;

interface Suggestion {
  id: string;
  username: string;
  displayName: string;
}

/**
 * The message box: Enter sends, Shift+Enter breaks the line, `@` suggests members (arrow keys and
 * Enter or Tab pick one). Typing is announced at most every two seconds.
 */
export function Composer(props: {
  conversationId: string;
  members: PublicUser[];
  isGroup: boolean;
  replyTo: Message | null;
  replyToName: string | null;
  threadRootId?: string;
  onClearReply: () => void;
  label: string;
  /** Extra controls (the attachment picker) and what they add to a send. */
  attachments?: { mediaId: string }[];
  onSent?: () => void;
  /** Uploads are still running: sending waits for them. */
  busy?: boolean;
  children?: React.ReactNode;
}) {
  const [text, setText] = useState('');
  const [caret, setCaret] = useState(0);
  const [choice, setChoice] = useState(0);
  const lastTyping = useRef(0);
  const box = useRef<HTMLTextAreaElement>(null);
  /** Where the cursor goes once a picked mention is in the box. */
  const caretAfterPick = useRef<number | null>(null);
  const listId = `mentions-${props.threadRootId ?? props.conversationId}`;

  useEffect(() => {
    if (props.replyTo) box.current?.focus();
  }, [props.replyTo]);

  // In the same commit as the picked text, before the next key is handled: a later frame could
  // move the cursor back behind what was typed meanwhile.
  useLayoutEffect(() => {
    if (caretAfterPick.current === null) return;
    box.current?.setSelectionRange(caretAfterPick.current, caretAfterPick.current);
    caretAfterPick.current = null;
  }, [text]);

  const query = useMemo(
    () => /(?:^|\s)@([A-Za-z0-9_.]{0,32})$/.exec(text.slice(0, caret))?.[1],
    [text, caret],
  );
  const suggestions: Suggestion[] = useMemo(() => {
    if (query === undefined) return [];
    const q = query.toLowerCase();
    const people: Suggestion[] = props.members.filter(
      (u) => u.username.startsWith(q) || u.displayName.toLowerCase().startsWith(q),
    );
    if (props.isGroup && 'everyone'.startsWith(q))
      people.push({ id: '*', username: 'everyone', displayName: 'Everyone here' });
    return people.slice(0, 8);
  }, [query, props.members, props.isGroup]);

  const pick = (s: Suggestion) => {
    const before = text.slice(0, caret).replace(/@([A-Za-z0-9_.]{0,32})$/, `@${s.username} `);
    const next = before + text.slice(caret);
    setText(next);
    setCaret(before.length);
    setChoice(0);
    caretAfterPick.current = before.length;
  };

  const submit = () => {
    const body = text.trim();
    const attachments = props.attachments ?? [];
    if (props.busy || (!body && attachments.length === 0)) return;
    const { mentions, mentionsEveryone } = mentionsOf(body, props.members, props.isGroup);
    sendMessage({
      conversationId: props.conversationId,
      text: body,
      ...(props.replyTo ? { replyToId: props.replyTo.id } : {}),
      ...(props.threadRootId ? { threadRootId: props.threadRootId } : {}),
      ...(mentions.length ? { mentions } : {}),
      ...(mentionsEveryone ? { mentionsEveryone: true } : {}),
      ...(attachments.length ? { attachments } : {}),
    });
    setText('');
    props.onClearReply();
    props.onSent?.();
    connection.typing(props.conversationId, false);
    lastTyping.current = 0;
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (suggestions.length > 0) {
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        setChoice((c) => (c + (e.key === 'ArrowDown' ? 1 : suggestions.length - 1)) % suggestions.length);
        return;
      }
      if (e.key === 'Enter' || e.key === 'Tab') {
        e.preventDefault();
        pick(suggestions[Math.min(choice, suggestions.length - 1)] as Suggestion);
        return;
      }
      if (e.key === 'Escape') {
        setCaret(0);
        return;
      }
    }
    if (e.key === 'Escape' && props.replyTo) props.onClearReply();
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      submit();
    }
  };

  return (
    <form
      className="composer"
      aria-label={props.label}
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      {props.replyTo && (
        <div className="replying">
          Replying to <strong>{props.replyToName ?? 'a message'}</strong>: {props.replyTo.text.slice(0, 80)}
          <button type="button" aria-label="Cancel reply" onClick={props.onClearReply}>
            ✕
          </button>
        </div>
      )}
      {suggestions.length > 0 && (
        <ul id={listId} role="listbox" className="mention-suggestions" aria-label="Mention someone">
          {suggestions.map((s, i) => (
            <li
              key={s.id}
              id={`${listId}-${i}`}
              role="option"
              aria-selected={i === choice}
              onMouseDown={(e) => {
                e.preventDefault();
                pick(s);
              }}
            >
              <strong>@{s.username}</strong> {s.displayName}
            </li>
          ))}
        </ul>
      )}
      <div className="composer-row">
        {props.children}
        <textarea
          ref={box}
          rows={1}
          value={text}
          maxLength={4000}
          placeholder="Write a message"
          aria-label={props.label}
          role="combobox"
          aria-expanded={suggestions.length > 0}
          aria-controls={suggestions.length > 0 ? listId : undefined}
          aria-activedescendant={suggestions.length > 0 ? `${listId}-${choice}` : undefined}
          aria-autocomplete="list"
          onChange={(e) => {
            setText(e.target.value);
            setCaret(e.target.selectionStart);
            const now = Date.now();
            if (e.target.value && now - lastTyping.current > TYPING_EVERY_MS) {
              lastTyping.current = now;
              connection.typing(props.conversationId, true);
            }
          }}
          onSelect={(e) => setCaret(e.currentTarget.selectionStart)}
          onKeyDown={onKeyDown}
        />
        <button type="submit" aria-label="Send" disabled={props.busy}>
          Send
        </button>
      </div>
    </form>
  );
}
