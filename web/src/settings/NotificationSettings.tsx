import { SettingsNav } from './SettingsNav';

/**
 * Notification channels, per-conversation levels, quiet hours and web push.
 * TODO(notifications): needs the notification preferences API (/api/v1/notifications).
 */
export function NotificationSettings() {
  return (
    <section className="page">
      <h1>Settings</h1>
      <SettingsNav current="/settings/notifications" />
      <p>Per-conversation muting is in each conversation&apos;s header.</p>
    </section>
  );
}
