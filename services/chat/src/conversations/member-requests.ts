import { isDuplicateKey } from '@parley/service-kit';
import type { ChatStore } from '../store';
import { groupFingerprint } from './group-requests';

/**
 * Makes adding members repeatable: the gateway's sidecar retries a call that timed out, and a
 * client may repeat its `x-request-id`. A request claims its key before it adds anyone and marks
 * the claim done once every member is in. A repeat of a finished request adds nobody again (not
 * even a member removed since) and answers as the first did; a repeat of one still under way, or
 * of one that failed, does the work again, which adds each member at most once.
 */
export class MemberRequests {
  constructor(private readonly store: ChatStore) {}

  /**
   * True when an earlier try of this request (same caller, request id, group and members) finished
   * its work. Without a request id, or with one used before for another body, it is never so.
   */
  async claim(userId: string, requestId: string | null, conversationId: string, userIds: string[]) {
    if (!requestId) return false;
    const _id = `${userId}:${requestId}`;
    const fingerprint = groupFingerprint({ conversationId, userIds: [...userIds].sort() });
    try {
      await this.store.memberRequests.insertOne({ _id, fingerprint, done: false, at: new Date() });
      return false;
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
    const earlier = await this.store.memberRequests.findOne({ _id });
    return earlier !== null && earlier.fingerprint === fingerprint && earlier.done;
  }

  /** Marks the request's work finished, so that repeats from now on add nobody. */
  async finish(userId: string, requestId: string | null, conversationId: string, userIds: string[]) {
    if (!requestId) return;
    const fingerprint = groupFingerprint({ conversationId, userIds: [...userIds].sort() });
    const _id = `${userId}:${requestId}`;
    // Only the claim this body made: a request id used before for another body keeps its claim.
    // A claim's fingerprint never changes, so it is read and then updated by `_id` alone.
    const claim = await this.store.memberRequests.findOne({ _id }, { projection: { fingerprint: 1 } });
    if (claim?.fingerprint === fingerprint)
      await this.store.memberRequests.updateOne({ _id }, { $set: { done: true } });
  }
}
