import { useEffect, useState } from 'react';
import { LEVELS, type Level, loadPreferences, setConversationLevel } from './notifications-api';

/** The notification level of one conversation, or the account's default. */
export function ConversationLevel({ conversationId }: { conversationId: string }) {
  const [level, setLevel] = useState<Level | ''>('');
  const [ready, setReady] = useState(false);
  useEffect(() => {
    loadPreferences().then(
      (p) => {
        setLevel(p.conversations[conversationId] ?? '');
        setReady(true);
      },
      () => undefined,
    );
  }, [conversationId]);
  if (!ready) return null;
  return (
    <label className="level-select">
      <span className="sr-only">Notifications for this conversation</span>
      <select
        value={level}
        title="Notifications for this conversation"
        onChange={(e) => {
          const next = e.target.value as Level | '';
          setLevel(next);
          void setConversationLevel(conversationId, next || null).catch(() => undefined);
        }}
      >
        <option value="">Notify: default</option>
        {LEVELS.map((l) => (
          <option key={l.value} value={l.value}>
            Notify: {l.label.toLowerCase()}
          </option>
        ))}
      </select>
    </label>
  );
}
