import { logOut } from '../app/App';
import { Link } from '../app/Link';

export function SettingsNav({ current }: { current: string }) {
  const items = [
    ['/settings/profile', 'Profile'],
    ['/settings/sessions', 'Devices'],
    ['/settings/notifications', 'Notifications'],
  ];
  return (
    <nav aria-label="Settings" className="tabs">
      {items.map(([href, label]) => (
        <Link key={href} href={href as string} aria-current={href === current ? 'page' : undefined}>
          {label}
        </Link>
      ))}
      <button type="button" className="secondary" onClick={() => void logOut()}>
        Log out
      </button>
    </nav>
  );
}
