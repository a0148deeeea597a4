import { useEffect, useState } from 'react';
import { describeError } from '../api/http';
import {
  type Channel,
  LEVELS,
  type Level,
  type Preferences,
  changePreferences,
  disablePush,
  enablePush,
  loadPreferences,
  pushEnabledHere,
  pushSupported,
} from '../notifications/notifications-api';
import { SettingsNav } from './SettingsNav';

const CHANNELS: { key: Channel; label: string; hint: string }[] = [
  { key: 'push', label: 'Push notifications', hint: 'On devices where you turned them on' },
  { key: 'email', label: 'Email digest', hint: 'To your verified address' },
  { key: 'sms', label: 'SMS', hint: 'Urgent messages only, to your phone' },
];

/** Channels, level, delays, quiet hours and this browser's push opt-in. */
export function NotificationSettings() {
  const [prefs, setPrefs] = useState<Preferences | null>(null);
  const [push, setPush] = useState(false);
  const [status, setStatus] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    loadPreferences().then(setPrefs, (err: unknown) => setError(describeError(err)));
    void pushEnabledHere().then(setPush);
  }, []);
  const change = async (patch: Partial<Omit<Preferences, 'conversations'>>) => {
    setError(null);
    setStatus(null);
    try {
      setPrefs(await changePreferences(patch));
      setStatus('Saved.');
    } catch (err) {
      setError(describeError(err));
    }
  };
  const togglePush = async () => {
    setError(null);
    try {
      if (push) await disablePush();
      else await enablePush();
      setPush(!push);
      setStatus(
        push ? 'Push notifications are off in this browser.' : 'Push notifications are on in this browser.',
      );
    } catch (err) {
      setError(describeError(err));
    }
  };
  return (
    <section className="page">
      <h1>Settings</h1>
      <SettingsNav current="/settings/notifications" />
      {prefs && (
        <form className="form" aria-label="Notification settings" onSubmit={(e) => e.preventDefault()}>
          <div className="field">
            <label htmlFor="n-level">Notify me about</label>
            <select
              id="n-level"
              value={prefs.level}
              onChange={(e) => void change({ level: e.target.value as Level })}
            >
              {LEVELS.map((l) => (
                <option key={l.value} value={l.value}>
                  {l.label}
                </option>
              ))}
            </select>
            <small className="hint">Each conversation can override this in its header.</small>
          </div>
          <fieldset>
            <legend>Channels, and how long a message stays unread before each</legend>
            {CHANNELS.map((c) => (
              <div key={c.key} className="channel-row">
                <label>
                  <input
                    type="checkbox"
                    checked={prefs.channels[c.key]}
                    onChange={(e) =>
                      void change({ channels: { ...prefs.channels, [c.key]: e.target.checked } })
                    }
                  />{' '}
                  {c.label}
                </label>
                <label>
                  after{' '}
                  <input
                    type="number"
                    min={0}
                    max={10080}
                    aria-label={`${c.label}: minutes before`}
                    defaultValue={Math.round(prefs.delays[c.key] / 60)}
                    onBlur={(e) =>
                      void change({
                        delays: { ...prefs.delays, [c.key]: Math.round(Number(e.target.value) * 60) },
                      })
                    }
                  />{' '}
                  min
                </label>
                <small className="hint">{c.hint}</small>
              </div>
            ))}
          </fieldset>
          <fieldset>
            <legend>Quiet hours</legend>
            <label>
              <input
                type="checkbox"
                checked={prefs.quietHours !== null}
                onChange={(e) =>
                  void change({
                    quietHours: e.target.checked ? { start: '22:00', end: '07:00', allowUrgent: true } : null,
                  })
                }
              />{' '}
              Hold notifications back at night
            </label>
            {prefs.quietHours && (
              <div className="quiet-hours">
                <label>
                  From{' '}
                  <input
                    type="time"
                    defaultValue={prefs.quietHours.start}
                    onBlur={(e) =>
                      void change({ quietHours: { ...prefs.quietHours!, start: e.target.value } })
                    }
                  />
                </label>
                <label>
                  to{' '}
                  <input
                    type="time"
                    defaultValue={prefs.quietHours.end}
                    onBlur={(e) => void change({ quietHours: { ...prefs.quietHours!, end: e.target.value } })}
                  />
                </label>
                <label>
                  <input
                    type="checkbox"
                    checked={prefs.quietHours.allowUrgent}
                    onChange={(e) =>
                      void change({ quietHours: { ...prefs.quietHours!, allowUrgent: e.target.checked } })
                    }
                  />{' '}
                  Let direct messages and mentions of me through
                </label>
                <small className="hint">In your profile&apos;s time zone.</small>
              </div>
            )}
          </fieldset>
          <fieldset>
            <legend>This browser</legend>
            {pushSupported() ? (
              <button
                type="button"
                className="secondary"
                onClick={() => void togglePush()}
                aria-pressed={push}
              >
                {push ? 'Turn off push notifications here' : 'Turn on push notifications here'}
              </button>
            ) : (
              <p>This browser cannot receive push notifications.</p>
            )}
          </fieldset>
        </form>
      )}
      {status && <p role="status">{status}</p>}
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
    </section>
  );
}
