import { useCallback, useEffect, useState } from 'react';
import { api, describeError } from '../api/http';
import { SettingsNav } from './SettingsNav';

interface DeviceSession {
  id: string;
  deviceName: string | null;
  method: string;
  createdAt: string;
  lastUsedAt: string;
  current: boolean;
}

/** The devices logged in to the account; any but this one can be logged out from here. */
export function SessionsPage() {
  const [sessions, setSessions] = useState<DeviceSession[]>([]);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(() => {
    api<{ sessions: DeviceSession[] }>('/sessions').then(
      (r) => setSessions(r.sessions),
      (err: unknown) => setError(describeError(err)),
    );
  }, []);
  useEffect(load, [load]);
  return (
    <section className="page">
      <h1>Settings</h1>
      <SettingsNav current="/settings/sessions" />
      <h2>Devices</h2>
      <ul className="session-list">
        {sessions.map((s) => (
          <li key={s.id}>
            <span>
              <strong>{s.deviceName ?? 'Unnamed device'}</strong>{' '}
              {s.current && <span className="tag ok">this device</span>}
              <br />
              <small>
                {s.method} · since {new Date(s.createdAt).toLocaleString()} · last used{' '}
                {new Date(s.lastUsedAt).toLocaleString()}
              </small>
            </span>
            {!s.current && (
              <button
                type="button"
                onClick={() =>
                  void api(`/sessions/${s.id}`, { method: 'DELETE' }).then(load, (err: unknown) =>
                    setError(describeError(err)),
                  )
                }
              >
                Log out
              </button>
            )}
          </li>
        ))}
      </ul>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
    </section>
  );
}
