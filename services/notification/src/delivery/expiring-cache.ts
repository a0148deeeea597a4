import type { ChangeBoard } from '@parley/service-kit';

/**
 * What vouches for an entry beyond its age: a change board (service-kit `ChangeBoard`), which
 * stamps what is read and says whether a key changed anywhere since.
 */
export type Vouch = Pick<ChangeBoard, 'stamp' | 'holds'>;

/** Bounds of an {@link ExpiringCache}. */
export interface ExpiringCacheOptions {
  /** Entries kept at most; the least recently filled goes first. */
  maxEntries: number;
  /** How long an entry is trusted at most, so instances that missed an invalidation still converge. */
  maxAgeMs: number;
  /** With a board, an entry is trusted only while the board says its key has not changed. */
  vouch?: Vouch;
  now?: () => number;
}

interface Entry<V> {
  value: V;
  filledAt: number;
  stamp: number;
}

interface Pending<V> {
  promise: Promise<V>;
  /** Set when the key is dropped while loading: the value answers its callers but is not kept. */
  dropped: boolean;
  /** The board's stamp when the load began; without one (the board could not vouch), nothing is kept. */
  stamp: number | undefined;
}

/**
 * A per-instance cache of facts kept elsewhere (another service, or this one's database), filled
 * on a miss and dropped when whoever changes them says so. Concurrent misses for one key share
 * one load, and the misses of one `getMany` share one call of its loader. A load that was running
 * when its key was dropped answers its callers but is not kept: it may predate the change.
 */
export class ExpiringCache<V> {
  private readonly entries = new Map<string, Entry<V>>();
  private readonly loading = new Map<string, Pending<V>>();
  private readonly now: () => number;

  constructor(private readonly options: ExpiringCacheOptions) {
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  async get(key: string, load: () => Promise<V>): Promise<V> {
    const [value] = await this.getMany([key], async () => [await load()]);
    return value as V;
  }

  /**
   * The values of several keys, in the order given. The keys neither cached nor already loading
   * go to one `load` call, which answers them in the order it was given them: a caller that needs
   * many keys at once pays one round trip for all its misses, not one per key.
   */
  async getMany(keys: string[], load: (missing: string[]) => Promise<V[]>): Promise<V[]> {
    // Keys are sorted into hits, shared loads and misses, and the misses registered as loading,
    // with no await in between: a concurrent caller joins these loads instead of repeating them.
    const missing = new Set<string>();
    const started = new Map<string, Pending<V>>();
    const slots = keys.map((key): (() => V | Promise<V>) => {
      const entry = this.entries.get(key);
      if (entry && this.holds(key, entry)) return () => entry.value;
      // An entry the board cannot vouch for just now is read again but kept: once the board
      // answers, an unchanged counter means it still holds.
      if (entry && !this.vouchless(key)) this.entries.delete(key);
      const running = this.loading.get(key);
      if (running) return () => running.promise;
      missing.add(key);
      return () => started.get(key)!.promise;
    });
    if (missing.size === 0) return Promise.all(slots.map((slot) => slot()));

    const order = [...missing];
    // Stamped before the load: a change that lands while it runs shows as a newer counter.
    const stamps = order.map((key) => (this.options.vouch ? this.options.vouch.stamp(key) : 0));
    const batch = load(order);
    for (const [index, key] of order.entries()) {
      const pending = {
        promise: batch.then((loaded) => loaded[index] as V),
        dropped: false,
        stamp: stamps[index],
      };
      this.loading.set(key, pending);
      started.set(key, pending);
    }
    try {
      const values = await Promise.all(slots.map((slot) => slot()));
      const loaded = await batch;
      for (const [index, key] of order.entries()) {
        const { dropped, stamp } = started.get(key)!;
        if (!dropped && stamp !== undefined) this.keep(key, loaded[index] as V, stamp);
      }
      return values;
    } finally {
      for (const [key, pending] of started) {
        if (this.loading.get(key) === pending) this.loading.delete(key);
      }
    }
  }

  /** Forgets the key, including what a load still running for it would bring. */
  drop(key: string): void {
    this.entries.delete(key);
    const running = this.loading.get(key);
    if (running) {
      running.dropped = true;
      this.loading.delete(key);
    }
  }

  /** The board cannot vouch for `key` (or anything) just now. */
  private vouchless(key: string): boolean {
    return this.options.vouch !== undefined && this.options.vouch.stamp(key) === undefined;
  }

  private holds(key: string, entry: Entry<V>): boolean {
    if (this.now() - entry.filledAt >= this.options.maxAgeMs) return false;
    return this.options.vouch ? this.options.vouch.holds(key, entry.stamp) : true;
  }

  private keep(key: string, value: V, stamp: number): void {
    this.entries.delete(key);
    this.entries.set(key, { value, filledAt: this.now(), stamp });
    // Map iteration follows insertion order: the first key is the oldest fill.
    while (this.entries.size > this.options.maxEntries) {
      this.entries.delete(this.entries.keys().next().value!);
    }
  }
}
