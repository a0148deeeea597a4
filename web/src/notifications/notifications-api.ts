import { api } from '../api/http';

export type Level = 'all' | 'mentions' | 'direct' | 'nothing';
export type Channel = 'push' | 'email' | 'sms';

export interface Preferences {
  level: Level;
  channels: Record<Channel, boolean>;
  delays: Record<Channel, number>;
  quietHours: { start: string; end: string; allowUrgent: boolean } | null;
  conversations: Record<string, Level>;
}

export const LEVELS: { value: Level; label: string }[] = [
  { value: 'all', label: 'Every message' },
  { value: 'mentions', label: 'Mentions and direct messages' },
  { value: 'direct', label: 'Direct messages only' },
  { value: 'nothing', label: 'Nothing' },
];

export const loadPreferences = () => api<Preferences>('/notifications/preferences');

export const changePreferences = (patch: Partial<Omit<Preferences, 'conversations'>>) =>
  api<Preferences>('/notifications/preferences', { method: 'PATCH', body: patch });

export const setConversationLevel = (conversationId: string, level: Level | null) =>
  level
    ? api<Preferences>(`/notifications/preferences/conversations/${conversationId}`, {
        method: 'PUT',
        body: { level },
      })
    : api<void>(`/notifications/preferences/conversations/${conversationId}`, { method: 'DELETE' });

function base64UrlToBytes(text: string): Uint8Array<ArrayBuffer> {
  const padded = text
    .replace(/-/g, '+')
    .replace(/_/g, '/')
    .padEnd(Math.ceil(text.length / 4) * 4, '=');
  const raw = atob(padded);
  const bytes = new Uint8Array(new ArrayBuffer(raw.length));
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return bytes;
}

export function pushSupported(): boolean {
  return 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;
}

/** Subscribes this browser to web push through the service worker and registers it. */
export async function enablePush(): Promise<void> {
  const { publicKey } = await api<{ publicKey: string | null }>('/notifications/push-key');
  if (!publicKey) throw new Error('Push notifications are not configured on this server.');
  if ((await Notification.requestPermission()) !== 'granted') {
    throw new Error('The browser did not allow notifications.');
  }
  const registration = await navigator.serviceWorker.ready;
  const subscription = await registration.pushManager.subscribe({
    userVisibleOnly: true,
    applicationServerKey: base64UrlToBytes(publicKey),
  });
  const json = subscription.toJSON() as { endpoint: string; keys: { p256dh: string; auth: string } };
  await api('/notifications/push-subscriptions', { body: { endpoint: json.endpoint, keys: json.keys } });
}

/** Unsubscribes this browser and forgets its registration on the server. */
export async function disablePush(): Promise<void> {
  const registration = await navigator.serviceWorker.ready;
  await unsubscribe(await registration.pushManager.getSubscription());
}

/**
 * On logging out: this browser stops getting the account's pushes, so whoever signs in here next
 * does not see them. Does nothing where push was never set up.
 */
export async function forgetPushHere(): Promise<void> {
  if (!pushSupported()) return;
  const registration = await navigator.serviceWorker.getRegistration();
  await unsubscribe((await registration?.pushManager.getSubscription()) ?? null);
}

async function unsubscribe(subscription: PushSubscription | null): Promise<void> {
  if (!subscription) return;
  const { items } = await api<{ items: { id: string; endpoint: string }[] }>(
    '/notifications/push-subscriptions',
  );
  const mine = items.find((s) => s.endpoint === subscription.endpoint);
  if (mine) await api(`/notifications/push-subscriptions/${mine.id}`, { method: 'DELETE' });
  await subscription.unsubscribe();
}

export async function pushEnabledHere(): Promise<boolean> {
  if (!pushSupported()) return false;
  const registration = await navigator.serviceWorker.getRegistration();
  return Boolean(await registration?.pushManager.getSubscription());
}

export interface Ledger {
  messageId: string;
  recipients: {
    recipientId: string;
    kind: string;
    urgent: boolean;
    timeline: { at: string; event: string; channel: string | null; detail: string | null }[];
  }[];
}

export const loadLedger = (messageId: string) =>
  api<Ledger>('/notifications/deliveries', { query: { messageId } });
