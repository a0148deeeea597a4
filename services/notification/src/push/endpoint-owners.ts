import { createHash } from 'node:crypto';
import { upsertRetried } from '@parley/service-kit';
import type { DeliveryStore } from '../delivery/store';
import type { SubscriptionSlots } from './subscription-slots';

const hashed = (text: string) => createHash('sha256').update(text).digest('base64url').slice(0, 24);

/** A subscription's id: one per account and endpoint, so registering again keeps one. */
export const subscriptionId = (userId: string, endpoint: string) => hashed(`${userId}\n${endpoint}`);

/**
 * A push endpoint is one browser's, and belongs to the account that registered it last: whoever
 * signed in there before stops getting pushes on it. Ownership is one document per endpoint,
 * written by `_id`; the account it names afterwards keeps its subscription, and a registration
 * that another overtook removes its own, so two accounts racing for one endpoint end with one
 * subscription between them, never two and never none.
 */
export class EndpointOwners {
  constructor(
    private readonly store: Pick<DeliveryStore, 'pushEndpoints' | 'pushSubscriptions'>,
    private readonly slots: Pick<SubscriptionSlots, 'release'>,
  ) {}

  /**
   * Call with the user's subscription of the endpoint stored. True when the user owns the
   * endpoint now (the former owner's subscription is removed); false when another account
   * registered it at the same moment and keeps it.
   */
  async take(userId: string, endpoint: string): Promise<boolean> {
    const _id = hashed(endpoint);
    const before = await upsertRetried(() =>
      this.store.pushEndpoints.findOneAndUpdate(
        { _id },
        { $set: { userId, at: new Date() } },
        { upsert: true, returnDocument: 'before' },
      ),
    );
    if (!before) {
      // The endpoint's first owner on record: other accounts' subscriptions to it from before
      // owners were recorded go (never one registered since, which has its own say here). Once
      // per endpoint, so this scan of the dev store is rare.
      await this.store.pushSubscriptions.deleteMany({
        endpoint,
        userId: { $ne: userId },
        ownerRecorded: { $exists: false },
      });
    } else if (before.userId !== userId) {
      const former = subscriptionId(before.userId, endpoint);
      await this.store.pushSubscriptions.deleteOne({ _id: former });
      await this.slots.release(before.userId, former);
    }
    const owner = await this.store.pushEndpoints.findOne({ _id });
    return owner === null || owner.userId === userId;
  }
}
