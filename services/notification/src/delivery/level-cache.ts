import type { ChangeBoard } from '@parley/service-kit';
import { DEFAULT_PREFERENCES, type NotifyLevel } from '../preferences/schemas';
import { ExpiringCache } from './expiring-cache';
import { type DeliveryStore, conversationPreferenceId } from './store';

export interface LevelCacheOptions {
  /** Users whose global level is kept. */
  maxUsers: number;
  /** Pairs of user and conversation whose override (or its absence) is kept. */
  maxOverrides: number;
  /** How long an entry is kept at most, whatever the board says. */
  maxAgeMs: number;
  now?: () => number;
}

/**
 * Defaults: an entry is kept for up to ten minutes, and trusted only while the levels board says
 * its user's levels did not change; 20,000 users, and five (user, conversation) pairs each, enough
 * for a hundred 1,000-member groups active at once (about 150 bytes an entry, some 20 MB in all).
 */
export const LEVEL_CACHE_DEFAULTS: LevelCacheOptions = {
  maxUsers: 20_000,
  maxOverrides: 100_000,
  maxAgeMs: 600_000,
};

/** The name of notification's change board for notification levels. */
export const LEVEL_BOARD = 'levels';

/**
 * Up to this many missing documents are read by `_id` one by one, in parallel: the only lookup
 * FerretDB answers without decoding the whole collection. More are read with `$in` in chunks:
 * one round trip on MongoDB, a scan on the dev store, paid only when a large group's levels miss.
 */
export const POINT_LOOKUP_LIMIT = 8;
export const IN_CHUNK = 1_000;

type LevelStore = Pick<DeliveryStore, 'preferences' | 'conversationPreferences'>;

/** The change board of levels, as the cache uses it. */
export type LevelBoard = Pick<ChangeBoard, 'stamp' | 'holds' | 'changed'>;

/**
 * What decides each recipient's level for a new message (their override in the conversation,
 * else their global level), kept per instance so a steady stream of messages reads no
 * preferences. An absent document is kept too: most recipients have no override.
 *
 * A change of a user's level raises the levels change board once written (`changedUser`,
 * `changedOverride`): this instance drops what it held at once, and the others stop trusting
 * theirs when they next read the board, about a second later. Until then an instance may still
 * act on the old level. That costs little either way: the planner re-reads the levels fresh when
 * a step comes due and skips what they no longer allow, and a raised level misses at most the
 * messages of that second on another instance.
 */
export class LevelCache {
  private readonly globals: ExpiringCache<NotifyLevel | null>;
  private readonly overrides: ExpiringCache<NotifyLevel | null>;

  constructor(
    private readonly store: LevelStore,
    private readonly board: LevelBoard,
    options: LevelCacheOptions = LEVEL_CACHE_DEFAULTS,
  ) {
    const { maxAgeMs, now } = options;
    this.globals = new ExpiringCache({ maxEntries: options.maxUsers, maxAgeMs, now, vouch: board });
    this.overrides = new ExpiringCache({ maxEntries: options.maxOverrides, maxAgeMs, now, vouch: board });
  }

  /** Each recipient's level in the conversation, in the order given. */
  async levels(conversationId: string, recipients: string[]): Promise<NotifyLevel[]> {
    const { preferences, conversationPreferences } = this.store;
    const [overrides, globals] = await Promise.all([
      this.overrides.getMany(
        recipients.map((userId) => conversationPreferenceId(userId, conversationId)),
        (ids) =>
          readLevels(
            ids,
            (_id) => conversationPreferences.findOne({ _id }, { projection: { level: 1 } }),
            (chunk) =>
              conversationPreferences.find({ _id: { $in: chunk } }, { projection: { level: 1 } }).toArray(),
          ),
      ),
      this.globals.getMany(recipients, (ids) =>
        readLevels(
          ids,
          (_id) => preferences.findOne({ _id }, { projection: { level: 1 } }),
          (chunk) => preferences.find({ _id: { $in: chunk } }, { projection: { level: 1 } }).toArray(),
        ),
      ),
    ]);
    return recipients.map((_, index) => overrides[index] ?? globals[index] ?? DEFAULT_PREFERENCES.level);
  }

  /** The user's global preferences changed (and are written): every instance is told. */
  async changedUser(userId: string): Promise<void> {
    this.globals.drop(userId);
    await this.board.changed(userId);
  }

  /** The user's level in the conversation was set or cleared (and written): every instance is told. */
  async changedOverride(userId: string, conversationId: string): Promise<void> {
    const key = conversationPreferenceId(userId, conversationId);
    this.overrides.drop(key);
    await this.board.changed(key);
  }
}

interface LevelDoc {
  _id: string;
  level?: NotifyLevel;
}

/** The level in each document of `ids` (null when absent), in order, by the cheaper lookup. */
async function readLevels(
  ids: string[],
  findOne: (id: string) => Promise<LevelDoc | null>,
  findIn: (chunk: string[]) => Promise<LevelDoc[]>,
): Promise<(NotifyLevel | null)[]> {
  if (ids.length <= POINT_LOOKUP_LIMIT) {
    const docs = await Promise.all(ids.map(findOne));
    return docs.map((doc) => doc?.level ?? null);
  }
  const found = new Map<string, NotifyLevel | null>();
  for (let i = 0; i < ids.length; i += IN_CHUNK) {
    for (const doc of await findIn(ids.slice(i, i + IN_CHUNK))) found.set(doc._id, doc.level ?? null);
  }
  return ids.map((id) => found.get(id) ?? null);
}
