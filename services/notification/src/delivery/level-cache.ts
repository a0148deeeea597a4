import { DEFAULT_PREFERENCES, type NotifyLevel } from '../preferences/schemas';
import { ExpiringCache } from './expiring-cache';
import { type DeliveryStore, conversationPreferenceId } from './store';

export interface LevelCacheOptions {
  /** Users whose global level is kept. */
  maxUsers: number;
  /** Pairs of user and conversation whose override (or its absence) is kept. */
  maxOverrides: number;
  /** How long an entry is trusted: how late another instance's change can reach this one. */
  maxAgeMs: number;
  now?: () => number;
}

/**
 * Defaults: thirty seconds of trust (an active recipient gets several messages in that time);
 * 20,000 users, and five (user, conversation) pairs each, enough for a hundred 1,000-member groups
 * active at once (about 150 bytes an entry, some 20 MB in all).
 */
export const LEVEL_CACHE_DEFAULTS: LevelCacheOptions = {
  maxUsers: 20_000,
  maxOverrides: 100_000,
  maxAgeMs: 30_000,
};

/**
 * Up to this many missing documents are read by `_id` one by one, in parallel: the only lookup
 * FerretDB answers without decoding the whole collection. More are read with `$in` in chunks:
 * one round trip on MongoDB, a scan on the dev store, paid only when a large group's levels miss.
 */
export const POINT_LOOKUP_LIMIT = 8;
export const IN_CHUNK = 1_000;

type LevelStore = Pick<DeliveryStore, 'preferences' | 'conversationPreferences'>;

/**
 * What decides each recipient's level for a new message (their override in the conversation,
 * else their global level), kept per instance so a steady stream of messages reads no
 * preferences. An absent document is kept too: most recipients have no override.
 *
 * Staleness is bounded and one-sided in cost: the planner re-reads the levels fresh when a step
 * comes due and skips what they no longer allow, so a stale "allows" costs a ledger entry and a
 * signal. A stale "does not allow" misses the messages of that window: a user who raises their
 * level through this instance is dropped here at once (the next message follows it), while other
 * instances follow within `maxAgeMs`.
 *
 * TODO(notification-level-fanout): a change made through another instance is not announced to
 * this one; publishing it (or a version in the message event) would close the window above.
 */
export class LevelCache {
  private readonly globals: ExpiringCache<NotifyLevel | null>;
  private readonly overrides: ExpiringCache<NotifyLevel | null>;

  constructor(
    private readonly store: LevelStore,
    options: LevelCacheOptions = LEVEL_CACHE_DEFAULTS,
  ) {
    const { maxAgeMs, now } = options;
    this.globals = new ExpiringCache({ maxEntries: options.maxUsers, maxAgeMs, now });
    this.overrides = new ExpiringCache({ maxEntries: options.maxOverrides, maxAgeMs, now });
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

  /** The user changed their global preferences on this instance. */
  dropUser(userId: string): void {
    this.globals.drop(userId);
  }

  /** The user set or cleared their level in the conversation on this instance. */
  dropOverride(userId: string, conversationId: string): void {
    this.overrides.drop(conversationPreferenceId(userId, conversationId));
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
