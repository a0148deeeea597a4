import { useEffect, useRef, useState } from 'react';
import { ApiError, describeError } from '../api/http';
import { useChat } from '../chat/store';
import { type Ledger, loadLedger } from './notifications-api';

/** How a message reached each recipient: queued, pushed, emailed, texted, read, failed and why. */
export function LedgerDialog({ messageId, onClose }: { messageId: string; onClose: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const users = useChat((s) => s.users);
  const [ledger, setLedger] = useState<Ledger | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    dialog.current?.showModal();
    loadLedger(messageId).then(setLedger, (err: unknown) =>
      setError(
        err instanceof ApiError && err.status === 404
          ? 'Nobody needed a notification for this message.'
          : describeError(err),
      ),
    );
  }, [messageId]);
  return (
    <dialog ref={dialog} className="viewer ledger" aria-label="Delivery of this message" onClose={onClose}>
      <header>
        <h2>Delivery</h2>
        <button type="button" aria-label="Close" onClick={() => dialog.current?.close()}>
          ✕
        </button>
      </header>
      {error && <p role="status">{error}</p>}
      {ledger?.recipients.map((r) => (
        <section key={r.recipientId}>
          <h3>
            {users.get(r.recipientId)?.displayName ?? 'A member'}{' '}
            <small>
              ({r.kind}
              {r.urgent ? ', urgent' : ''})
            </small>
          </h3>
          <ol className="timeline">
            {r.timeline.map((e, i) => (
              <li key={i}>
                <time dateTime={e.at}>{new Date(e.at).toLocaleTimeString()}</time> {e.event}
                {e.channel ? ` (${e.channel})` : ''}
                {e.detail ? `: ${e.detail}` : ''}
              </li>
            ))}
          </ol>
        </section>
      ))}
    </dialog>
  );
}
