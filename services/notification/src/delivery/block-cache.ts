import { type ChangeBoard, DependencyError, type Sidecar } from '@parley/service-kit';
import { ExpiringCache, type ExpiringCacheOptions } from './expiring-cache';

/** What auth answers about blocks. */
export interface Relations {
  /** The subset of `otherUserIds` that `userId` blocked or is blocked by. */
  blockedAmong(userId: string, otherUserIds: string[]): Promise<Set<string>>;
}

/** The most ids auth checks in one call. */
const RELATIONS_CHUNK = 1_000;

export function sidecarRelations(sidecar: Sidecar): Relations {
  return {
    async blockedAmong(userId, otherUserIds) {
      const blocked = new Set<string>();
      for (let i = 0; i < otherUserIds.length; i += RELATIONS_CHUNK) {
        const result = await sidecar.invoke<{ blocked?: unknown }>('auth', 'internal/v1/relations/check', {
          method: 'POST',
          body: { userId, otherUserIds: otherUserIds.slice(i, i + RELATIONS_CHUNK) },
          signal: AbortSignal.timeout(5_000),
        });
        const ids = result.body?.blocked;
        if (result.status !== 200 || !Array.isArray(ids)) {
          throw new DependencyError('auth', `auth relations check answered ${result.status}`);
        }
        for (const id of ids) if (typeof id === 'string') blocked.add(id);
      }
      return blocked;
    },
  };
}

/**
 * Defaults: a pair's answer is kept half a minute, for up to 100,000 pairs (a sender and each
 * member of a hundred 1,000-member groups active at once, some 10 MB). The age is the fallback
 * for a block change whose event was lost; the event drops the pair well before.
 */
export const BLOCK_CACHE_DEFAULTS: ExpiringCacheOptions = { maxEntries: 100_000, maxAgeMs: 30_000 };

/** The name of notification's change board for blocked pairs. */
export const BLOCK_BOARD = 'blocks';

/** The block board, as the cache uses it. */
export type BlockBoard = Pick<ChangeBoard, 'stamp' | 'holds' | 'changed'>;

/**
 * Whether a sender and each recipient of their message are a blocked pair (either of them blocked
 * the other), kept per instance so a steady stream of messages in a group asks auth about its
 * members once in a while, all missing pairs in one call.
 *
 * Auth publishes `user.block.changed` before it answers the block or unblock: the instance that
 * takes the event drops the pair (both ways) and raises the block change board, which every other
 * instance reads within about a second, so a message sent after a block notifies neither of the
 * pair. An answer is trusted half a minute at most, for an event that never came.
 */
export class BlockCache {
  private readonly pairs: ExpiringCache<boolean>;

  constructor(
    private readonly relations: Relations,
    private readonly board: BlockBoard,
    options: ExpiringCacheOptions = BLOCK_CACHE_DEFAULTS,
  ) {
    // The board is keyed by the unordered pair: a block holds both ways, whoever sends.
    this.pairs = new ExpiringCache({
      ...options,
      vouch: {
        stamp: (key) => board.stamp(boardKeyOf(key)),
        holds: (key, stamp) => board.holds(boardKeyOf(key), stamp),
      },
    });
  }

  /** The recipients who blocked the sender or whom the sender blocked. */
  async blockedAmong(senderId: string, recipientIds: string[]): Promise<Set<string>> {
    const recipientOf = new Map(recipientIds.map((id) => [pairKey(senderId, id), id]));
    const keys = [...recipientOf.keys()];
    const answers = await this.pairs.getMany(keys, async (missing) => {
      const ids = missing.map((key) => recipientOf.get(key)!);
      const blocked = await this.relations.blockedAmong(senderId, ids);
      return ids.map((id) => blocked.has(id));
    });
    return new Set(keys.flatMap((key, index) => (answers[index] ? [recipientOf.get(key)!] : [])));
  }

  /** Auth says one of the two blocked or unblocked the other: every instance is told. */
  async changedPair(userId: string, otherId: string): Promise<void> {
    this.pairs.drop(pairKey(userId, otherId));
    this.pairs.drop(pairKey(otherId, userId));
    await this.board.changed(boardKeyOf(pairKey(userId, otherId)));
  }
}

/** A sender and a recipient; the two ids joined by a character user ids never hold. */
function pairKey(senderId: string, recipientId: string): string {
  return `${senderId}\n${recipientId}`;
}

/** The board's key of a pair, the same whichever of the two sends. */
function boardKeyOf(pair: string): string {
  return pair.split('\n').sort().join('\n');
}
