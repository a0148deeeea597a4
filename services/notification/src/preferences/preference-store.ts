import type { DeliveryStore } from '../delivery/store';
import { DEFAULT_PREFERENCES, type NotifyLevel, type Preferences, type PreferencesPatch } from './schemas';

/** A recipient's preferences with the defaults filled in. */
export async function loadPreferences(store: DeliveryStore, userId: string): Promise<Preferences> {
  const doc = await store.preferences.findOne({ _id: userId });
  return {
    level: doc?.level ?? DEFAULT_PREFERENCES.level,
    channels: { ...DEFAULT_PREFERENCES.channels, ...doc?.channels },
    delays: { ...DEFAULT_PREFERENCES.delays, ...doc?.delays },
    quietHours: doc?.quietHours === undefined ? DEFAULT_PREFERENCES.quietHours : doc.quietHours,
  };
}

/** Applies a validated change; the whole new preferences are written at once. */
export async function updatePreferences(
  store: DeliveryStore,
  userId: string,
  patch: PreferencesPatch,
): Promise<Preferences> {
  const current = await loadPreferences(store, userId);
  const next: Preferences = {
    level: patch.level ?? current.level,
    channels: { ...current.channels, ...patch.channels },
    delays: { ...current.delays, ...patch.delays },
    quietHours: patch.quietHours === undefined ? current.quietHours : patch.quietHours,
  };
  await store.preferences.updateOne(
    { _id: userId },
    { $set: { ...next, updatedAt: new Date() } },
    { upsert: true },
  );
  return next;
}

/** Per-conversation levels of a recipient, by conversation id. */
export async function conversationLevels(
  store: DeliveryStore,
  userId: string,
  conversationIds?: string[],
): Promise<Map<string, NotifyLevel>> {
  const filter = conversationIds ? { userId, conversationId: { $in: conversationIds } } : { userId };
  const docs = await store.conversationPreferences.find(filter).toArray();
  return new Map(docs.map((d) => [d.conversationId, d.level]));
}
