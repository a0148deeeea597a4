import { isDuplicateKey } from '@parley/service-kit';
import type { DeliveryStore } from '../delivery/store';

/**
 * The cap on each user's push subscriptions, held under concurrent requests: counting and then
 * inserting let fifty requests at once all pass a count of none. A subscription takes a place in
 * its user's list with `$addToSet` on `_id` (atomic on every store), and keeps it only when it is
 * among the first `limit`. The list may still name subscriptions removed since (a browser gone,
 * an endpoint taken over): a refusal drops those and tries once more.
 */
export class SubscriptionSlots {
  constructor(private readonly store: Pick<DeliveryStore, 'pushSubscriptions' | 'pushSlots'>) {}

  /** Call with the subscription stored: true when it keeps a place, false when over the cap. */
  async admit(userId: string, subscriptionId: string, limit: number): Promise<boolean> {
    await this.startList(userId);
    for (let attempt = 0; ; attempt++) {
      const slots = await this.store.pushSlots.findOneAndUpdate(
        { _id: userId },
        { $addToSet: { ids: subscriptionId } },
        { returnDocument: 'after' },
      );
      const place = slots?.ids.indexOf(subscriptionId) ?? -1;
      if (place >= 0 && place < limit) return true;
      await this.release(userId, subscriptionId);
      if (attempt > 0) return false;
      // Tried again whether or not this request found places to free: a concurrent one may
      // have freed them first.
      await this.dropGone(userId);
    }
  }

  /** Gives a subscription's place back; repeating it is harmless. */
  async release(userId: string, subscriptionId: string): Promise<void> {
    await this.store.pushSlots.updateOne({ _id: userId }, { $pull: { ids: subscriptionId } });
  }

  /**
   * The user's first subscription since the cap was counted this way: the list starts with the
   * subscriptions stored before, in the order they were made.
   */
  private async startList(userId: string): Promise<void> {
    if (await this.store.pushSlots.findOne({ _id: userId }, { projection: { _id: 1 } })) return;
    const stored = await this.store.pushSubscriptions
      .find({ userId }, { projection: { _id: 1 } })
      .sort({ createdAt: 1, _id: 1 })
      .toArray();
    try {
      await this.store.pushSlots.insertOne({ _id: userId, ids: stored.map((doc) => doc._id) });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
  }

  /** Drops listed ids whose subscription is gone. */
  private async dropGone(userId: string): Promise<void> {
    const slots = await this.store.pushSlots.findOne({ _id: userId });
    if (!slots) return;
    const stored = await this.store.pushSubscriptions.find({ userId }, { projection: { _id: 1 } }).toArray();
    const live = new Set(stored.map((doc) => doc._id));
    const gone = slots.ids.filter((id) => !live.has(id));
    if (gone.length > 0) await this.store.pushSlots.updateOne({ _id: userId }, { $pullAll: { ids: gone } });
  }
}
