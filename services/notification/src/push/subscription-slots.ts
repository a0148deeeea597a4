import { REQUEST_TIMEOUT_MS, isDuplicateKey } from '@parley/service-kit';
import { inBatches } from '../delivery/in-batches';
import type { DeliveryStore, PushSubscriptionDoc } from '../delivery/store';

/** The most push subscriptions an account holds. */
export const MAX_SUBSCRIPTIONS = 20;

/**
 * How long after it was stored a subscription no list names is taken for an orphan: longer than
 * any registration request lives (so none still in flight is), with a minute more for the clocks
 * of two instances to differ.
 */
const ORPHAN_AFTER_MS = REQUEST_TIMEOUT_MS + 60_000;

type Stored = Pick<PushSubscriptionDoc, '_id' | 'storedAt'>;

/**
 * The cap on each user's push subscriptions, held under concurrent requests: counting and then
 * inserting let fifty requests at once all pass a count of none. A subscription takes a place in
 * its user's list with `$addToSet` on `_id` (atomic on every store), and keeps it only when it is
 * among the first `limit`. The list may still name subscriptions removed since (a browser gone,
 * an endpoint taken over): a refusal drops those and tries once more.
 *
 * A registration stores its subscription before admitting it, so a crash between the two leaves
 * one no list names: only the subscriptions in the first places are listed and pushed to, and the
 * walks over a user's subscriptions remove such orphans once no request can still admit them.
 */
export class SubscriptionSlots {
  constructor(
    private readonly store: Pick<DeliveryStore, 'pushSubscriptions' | 'pushSlots'>,
    private readonly now: () => Date = () => new Date(),
  ) {}

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
   * The subscriptions holding one of the first `limit` places, in the order they were admitted:
   * the list by `_id`, then each subscription by `_id`. A user with no list yet (none registered
   * since the cap was counted this way) has the places their first registration will give.
   */
  async admitted(userId: string, limit: number): Promise<PushSubscriptionDoc[]> {
    const slots = await this.store.pushSlots.findOne({ _id: userId });
    if (!slots) {
      const stored = await this.store.pushSubscriptions
        .find({ userId })
        .sort({ createdAt: 1, _id: 1 })
        .toArray();
      return this.firstList(stored).listed.slice(0, limit);
    }
    const docs = await inBatches(slots.ids.slice(0, limit), (_id) =>
      this.store.pushSubscriptions.findOne({ _id }),
    );
    return docs.filter((doc): doc is PushSubscriptionDoc => doc?.userId === userId);
  }

  /**
   * The user's first subscription since the cap was counted this way: the list starts with the
   * subscriptions stored before, in the order they were made, but for orphans.
   */
  private async startList(userId: string): Promise<void> {
    if (await this.store.pushSlots.findOne({ _id: userId }, { projection: { _id: 1 } })) return;
    const stored = await this.store.pushSubscriptions
      .find({ userId }, { projection: { _id: 1, storedAt: 1 } })
      .sort({ createdAt: 1, _id: 1 })
      .toArray();
    const { listed, orphans } = this.firstList(stored);
    await this.removeOrphans(orphans);
    try {
      await this.store.pushSlots.insertOne({ _id: userId, ids: listed.map((doc) => doc._id) });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
  }

  /**
   * Drops listed ids whose subscription is gone, and removes the subscriptions the list does not
   * name that were stored longer ago than a registration lives.
   */
  private async dropGone(userId: string): Promise<void> {
    const slots = await this.store.pushSlots.findOne({ _id: userId });
    if (!slots) return;
    const stored = await this.store.pushSubscriptions
      .find({ userId }, { projection: { _id: 1, storedAt: 1 } })
      .toArray();
    const live = new Set(stored.map((doc) => doc._id));
    const gone = slots.ids.filter((id) => !live.has(id));
    if (gone.length > 0) await this.store.pushSlots.updateOne({ _id: userId }, { $pullAll: { ids: gone } });

    const listed = new Set(slots.ids);
    const unlisted = stored.filter((doc) => !listed.has(doc._id));
    await this.removeOrphans(unlisted.filter((doc) => this.isOrphan(doc)));
    // Undated (stored before stores were dated, so possibly by a request still in flight on an
    // instance not yet updated): dated now, so a walk once no request can admit them removes them.
    const now = this.now();
    await inBatches(
      unlisted.filter((doc) => !doc.storedAt),
      (doc) => this.store.pushSubscriptions.updateOne({ _id: doc._id }, { $min: { storedAt: now } }),
    );
  }

  /** What a user's first list holds: what is stored, undated ones too, but for orphans. */
  private firstList<T extends Stored>(stored: T[]): { listed: T[]; orphans: T[] } {
    const orphans = stored.filter((doc) => this.isOrphan(doc));
    return { listed: stored.filter((doc) => !orphans.includes(doc)), orphans };
  }

  private isOrphan(doc: Stored): boolean {
    return doc.storedAt !== undefined && doc.storedAt.getTime() < this.now().getTime() - ORPHAN_AFTER_MS;
  }

  /**
   * Removes each only while it is still that old: a registration of the same endpoint since has
   * dated it anew and is admitting it. (More than `_id` in the filter makes the dev store scan;
   * orphans are rare.)
   */
  private async removeOrphans(orphans: Stored[]): Promise<void> {
    const before = new Date(this.now().getTime() - ORPHAN_AFTER_MS);
    await inBatches(orphans, (doc) =>
      this.store.pushSubscriptions.deleteOne({ _id: doc._id, storedAt: { $lt: before } }),
    );
  }
}
