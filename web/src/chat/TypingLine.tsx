import { useEffect, useState } from 'react';
import { useChat } from './store';

/** "Alice is typing…", for as long as each typist's indicator lasts. */
export function TypingLine({ conversationId }: { conversationId: string }) {
  const typing = useChat((s) => s.typing.get(conversationId));
  const users = useChat((s) => s.users);
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!typing || typing.size === 0) return;
    const timer = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(timer);
  }, [typing]);
  const names = [...(typing ?? [])]
    .filter(([, until]) => until > now)
    .map(([userId]) => users.get(userId)?.displayName ?? 'Someone');
  const line =
    names.length === 0
      ? ''
      : names.length === 1
        ? `${names[0]} is typing…`
        : `${names.slice(0, 3).join(', ')} are typing…`;
  return (
    <p className="typing" aria-live="polite">
      {line}
    </p>
  );
}
