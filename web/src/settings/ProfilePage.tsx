import { useEffect, useState } from 'react';
import { api, describeError, session } from '../api/http';
import type { OwnAccount } from '../api/types';
import { Field } from '../auth/forms';
import { initials } from '../chat/names';
import { AvatarImage } from '../media/AvatarImage';
import { uploadFile } from '../media/media-api';
import { SettingsNav } from './SettingsNav';

function timeZones(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (key: string) => string[] };
  return intl.supportedValuesOf?.('timeZone') ?? [Intl.DateTimeFormat().resolvedOptions().timeZone];
}

/** The own profile: name, status, time zone; email verification state. */
export function ProfilePage() {
  const [account, setAccount] = useState<OwnAccount | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api<{ user: OwnAccount }>('/accounts/me').then(
      (r) => setAccount(r.user),
      (err: unknown) => setError(describeError(err)),
    );
  }, []);
  const setAvatar = async (avatarMediaId: string | null) => {
    const r = await api<{ user: OwnAccount }>('/users/me', { method: 'PATCH', body: { avatarMediaId } });
    setAccount(r.user);
    const held = session.get();
    if (held) session.set({ ...held, user: { ...held.user, ...r.user } });
  };
  const pickAvatar = async (file: File | undefined) => {
    if (!file) return;
    setError(null);
    setMessage(null);
    try {
      const media = await uploadFile(file, () => undefined);
      await setAvatar(media.id);
      setMessage('Profile picture saved.');
    } catch (err) {
      setError(describeError(err));
    }
  };
  const save = async (data: FormData) => {
    setError(null);
    setMessage(null);
    const statusText = String(data.get('statusText') ?? '').trim();
    const timeZone = String(data.get('timeZone') ?? '');
    try {
      const r = await api<{ user: OwnAccount }>('/users/me', {
        method: 'PATCH',
        body: {
          displayName: String(data.get('displayName')).trim(),
          statusText: statusText || null,
          timeZone: timeZone || null,
        },
      });
      setAccount(r.user);
      const held = session.get();
      if (held) session.set({ ...held, user: { ...held.user, ...r.user } });
      setMessage('Profile saved.');
    } catch (err) {
      setError(describeError(err));
    }
  };
  return (
    <section className="page">
      <h1>Settings</h1>
      <SettingsNav current="/settings/profile" />
      {account && (
        <>
          <p>
            @{account.username} · {account.email}{' '}
            {account.emailVerified ? (
              <span className="tag ok">verified</span>
            ) : (
              <>
                <span className="tag">not verified</span>{' '}
                <button
                  type="button"
                  className="link"
                  onClick={() =>
                    void api('/accounts/me/email-verification-requests', { method: 'POST' }).then(
                      () => setMessage('A new verification link is on its way.'),
                      (err: unknown) => setError(describeError(err)),
                    )
                  }
                >
                  Send the link again
                </button>
              </>
            )}
          </p>
          <form
            className="form"
            aria-label="Profile"
            onSubmit={(e) => {
              e.preventDefault();
              void save(new FormData(e.currentTarget));
            }}
          >
            <Field
              label="Display name"
              name="displayName"
              defaultValue={account.displayName}
              maxLength={64}
            />
            <Field
              label="Status"
              name="statusText"
              required={false}
              defaultValue={account.statusText ?? ''}
              maxLength={140}
            />
            <div className="field">
              <label htmlFor="field-timeZone">Time zone</label>
              <select id="field-timeZone" name="timeZone" defaultValue={account.timeZone ?? ''}>
                <option value="">Not set</option>
                {timeZones().map((tz) => (
                  <option key={tz} value={tz}>
                    {tz}
                  </option>
                ))}
              </select>
            </div>
            <button type="submit">Save profile</button>
          </form>
          <div className="field profile-picture">
            <span className="avatar large" aria-hidden="true">
              <AvatarImage mediaId={account.avatarMediaId} initials={initials(account.displayName)} />
            </span>
            <label htmlFor="field-avatar">Profile picture</label>
            <input
              id="field-avatar"
              type="file"
              accept="image/*"
              onChange={(e) => void pickAvatar(e.currentTarget.files?.[0])}
            />
            {account.avatarMediaId && (
              <button
                type="button"
                className="link"
                onClick={() =>
                  void setAvatar(null).then(
                    () => setMessage('Profile picture removed.'),
                    (err: unknown) => setError(describeError(err)),
                  )
                }
              >
                Remove the picture
              </button>
            )}
          </div>
        </>
      )}
      {message && <p role="status">{message}</p>}
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
    </section>
  );
}
