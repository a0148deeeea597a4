import type { Collection } from 'mongodb';
import type { Logger } from 'pino';
import { Poller } from './due-work';

/** The board's document: one counter per bucket of keys, absent until the bucket first changes. */
export interface ChangeBoardDoc {
  _id: string;
  counters?: Record<string, number>;
}

export interface ChangeBoardOptions {
  /** Buckets the keys hash into: a change makes its bucket's entries read again, not all. */
  buckets?: number;
  /** How often the counters are read: about how late another instance's change reaches this one. */
  pollMs?: number;
  /** Without a successful read for this long, nothing is trusted (and nothing may be kept). */
  staleAfterMs?: number;
  now?: () => number;
}

/**
 * Tells every instance of a service when something it may hold in memory changed through another
 * instance. The board is one document of counters in the service's database, one counter per
 * bucket of keys. Whoever changes a key's data raises its bucket's counter once the change is
 * written; every instance reads the counters every `pollMs`.
 *
 * A cache takes a stamp (`stamp`) before it reads a key's data, keeps the stamp with what it read,
 * and trusts the entry (`holds`) only while the bucket's counter still equals it. So a change made
 * anywhere reaches every instance's memory within about `pollMs`, whatever the entries' age, and a
 * busy instance reads its database once per `pollMs` instead of once per request. While the board
 * cannot be read, for `staleAfterMs`, no stamp is given and no entry holds.
 */
export class ChangeBoard {
  private counters: Record<string, number> = {};
  /** When the last successful read began; nothing holds until the first. */
  private readAt = Number.NEGATIVE_INFINITY;
  /** Reads begun, and the latest begun whose counters are the ones held. */
  private reads = 0;
  private applied = 0;
  private readonly poller: Poller;
  private readonly buckets: number;
  private readonly staleAfterMs: number;
  private readonly now: () => number;

  constructor(
    private readonly collection: Collection<ChangeBoardDoc>,
    private readonly name: string,
    logger: Logger,
    options: ChangeBoardOptions = {},
  ) {
    this.buckets = options.buckets ?? 64;
    const pollMs = options.pollMs ?? 1_000;
    this.staleAfterMs = options.staleAfterMs ?? 5 * pollMs;
    this.now = options.now ?? Date.now;
    this.poller = new Poller(() => this.read(), pollMs, logger, `reading the ${name} change board`);
  }

  /** Reads the counters once, then goes on reading them every `pollMs` until stopped. */
  async start(): Promise<void> {
    await this.read();
    this.poller.start();
  }

  stop(): Promise<void> {
    return this.poller.stop();
  }

  /** Reads the counters now (what each poll does). */
  async read(): Promise<void> {
    const startedAt = this.now();
    const ticket = ++this.reads;
    const doc = await this.collection.findOne({ _id: this.name });
    // A read that began before one already applied brings older counters: it is dropped.
    if (ticket < this.applied) return;
    this.applied = ticket;
    this.counters = doc?.counters ?? {};
    this.readAt = startedAt;
  }

  /**
   * The stamp to keep with data about `key` read from now on, or undefined when the board is not
   * fresh enough to vouch for it later (then the data must not be kept).
   */
  stamp(key: string): number | undefined {
    if (!this.fresh()) return undefined;
    return this.counters[this.bucketOf(key)] ?? 0;
  }

  /** Whether data about `key` kept with `stamp` is still current, as far as the board knows. */
  holds(key: string, stamp: number): boolean {
    return this.fresh() && (this.counters[this.bucketOf(key)] ?? 0) === stamp;
  }

  /** Raises `key`'s bucket; call it once the change is written, before answering whoever asked. */
  async changed(key: string): Promise<void> {
    await this.collection.updateOne(
      { _id: this.name },
      { $inc: { [`counters.${this.bucketOf(key)}`]: 1 } },
      { upsert: true },
    );
  }

  private fresh(): boolean {
    return this.now() - this.readAt < this.staleAfterMs;
  }

  /** FNV-1a of the key, into one of the buckets. */
  private bucketOf(key: string): string {
    let hash = 0x811c9dc5;
    for (let i = 0; i < key.length; i++) {
      hash ^= key.charCodeAt(i);
      hash = Math.imul(hash, 0x01000193);
    }
    return String((hash >>> 0) % this.buckets);
  }
}
