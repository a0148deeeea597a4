import { createHash } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { DependencyError } from '@parley/service-kit';
import { MongoServerError } from 'mongodb';
import type { ChatStore } from '../store';

/** How long a repeated request waits for the group its first try is making, and how often it looks. */
const FIRST_TRY_WAIT_MS = 5_000;
const FIRST_TRY_POLL_MS = 100;

/**
 * A claim this old whose group was never stored belongs to a try that died (a process stopped
 * mid-request): a group is stored within a second, and the sidecars give up on a call after 10 s.
 * A repeat then takes the claim over and makes the group.
 */
export const ABANDONED_CLAIM_MS = 2 * 60 * 1000;

/** What the request asks for; the same request id with another body is another request. */
export function groupFingerprint(input: object): string {
  return createHash('sha256').update(JSON.stringify(input)).digest('base64url');
}

/**
 * Makes a group creation repeatable: the gateway's sidecar retries a call that timed out, and a
 * client may repeat its `x-request-id`, so the same request must find the group its first try
 * made instead of making a second one. The request claims its key before the group exists; a
 * repeat finds the claim and waits for that group, and a try that failed gives its claim up.
 */
export class GroupRequests {
  constructor(private readonly store: ChatStore) {}

  /**
   * Claims the request for the group `conversationId` about to be made; answers the group an
   * earlier try of the same request made (or is making), or null when this try makes it. Without
   * a request id, or with one used before for another body, every call makes its own group.
   */
  async claim(
    userId: string,
    requestId: string | null,
    fingerprint: string,
    conversationId: string,
  ): Promise<string | null> {
    if (!requestId) return null;
    const _id = `${userId}:${requestId}`;
    try {
      await this.store.groupRequests.insertOne({ _id, conversationId, fingerprint, at: new Date() });
      return null;
    } catch (err) {
      if (!(err instanceof MongoServerError && err.code === 11000)) throw err;
    }
    const earlier = await this.store.groupRequests.findOne({ _id });
    // Given up or taken over between the insert and this read: claimed anew, never skipped, or
    // two repeats could each make a group.
    if (!earlier) return this.claim(userId, requestId, fingerprint, conversationId);
    if (earlier.fingerprint !== fingerprint) return null;
    if (Date.now() - earlier.at.getTime() > ABANDONED_CLAIM_MS) {
      const made = await this.store.conversations.findOne(
        { _id: earlier.conversationId },
        { projection: { _id: 1 } },
      );
      if (made) return earlier.conversationId;
      // Rewritten in place, only if it is still the claim read here: of repeats taking over at
      // once, exactly one does, and the others wait for its group. (Deleting and claiming anew
      // is not safe on the dev store: its delete can remove a claim inserted after the read.)
      const taken = await this.store.groupRequests.updateOne(
        { _id, at: earlier.at },
        { $set: { conversationId, at: new Date() }, $unset: { done: '' } },
      );
      if (taken.modifiedCount === 1) return null;
      return this.claim(userId, requestId, fingerprint, conversationId);
    }
    for (let waited = 0; waited < FIRST_TRY_WAIT_MS; waited += FIRST_TRY_POLL_MS) {
      const made = await this.store.conversations.findOne(
        { _id: earlier.conversationId },
        { projection: { _id: 1 } },
      );
      if (made) return earlier.conversationId;
      // The first try gave up (its claim is gone): this one makes the group after all.
      if (!(await this.store.groupRequests.findOne({ _id }, { projection: { _id: 1 } }))) {
        return this.claim(userId, requestId, fingerprint, conversationId);
      }
      await delay(FIRST_TRY_POLL_MS);
    }
    throw new DependencyError('chat', 'an earlier try of this request is still making the group');
  }

  /** Marks the request's group whole (every membership in): repeats from now on only answer it. */
  async finish(userId: string, requestId: string | null, conversationId: string): Promise<void> {
    if (!requestId) return;
    const _id = `${userId}:${requestId}`;
    const claim = await this.store.groupRequests.findOne({ _id }, { projection: { conversationId: 1 } });
    if (claim?.conversationId === conversationId) {
      await this.store.groupRequests.updateOne({ _id }, { $set: { done: true } });
    }
  }

  /** Whether the try that made the request's group went on to add every member. */
  async finished(userId: string, requestId: string): Promise<boolean> {
    const claim = await this.store.groupRequests.findOne({ _id: `${userId}:${requestId}` });
    return claim?.done === true;
  }

  /** A try that failed before its group was stored gives its claim up. */
  async release(userId: string, requestId: string | null, conversationId: string): Promise<void> {
    if (!requestId) return;
    const _id = `${userId}:${requestId}`;
    const claim = await this.store.groupRequests.findOne({ _id });
    if (claim?.conversationId === conversationId) await this.store.groupRequests.deleteOne({ _id });
  }
}
