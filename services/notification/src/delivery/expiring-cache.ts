/** Bounds of an {@link ExpiringCache}. */
export interface ExpiringCacheOptions {
  /** Entries kept at most; the least recently filled goes first. */
  maxEntries: number;
  /** How long an entry is trusted, so instances that missed an invalidation still converge. */
  maxAgeMs: number;
  now?: () => number;
}

interface Entry<V> {
  value: V;
  filledAt: number;
}

interface Pending<V> {
  promise: Promise<V>;
  /** Set when the key is dropped while loading: the value answers its callers but is not kept. */
  dropped: boolean;
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
      if (entry && this.now() - entry.filledAt < this.options.maxAgeMs) return () => entry.value;
      if (entry) this.entries.delete(key);
      const running = this.loading.get(key);
      if (running) return () => running.promise;
      missing.add(key);
      return () => started.get(key)!.promise;
    });
    if (missing.size === 0) return Promise.all(slots.map((slot) => slot()));

    const order = [...missing];
    const batch = load(order);
    for (const [index, key] of order.entries()) {
      const pending = { promise: batch.then((loaded) => loaded[index] as V), dropped: false };
      this.loading.set(key, pending);
      started.set(key, pending);
    }
    try {
      const values = await Promise.all(slots.map((slot) => slot()));
      const loaded = await batch;
      for (const [index, key] of order.entries()) {
        if (!started.get(key)!.dropped) this.keep(key, loaded[index] as V);
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

  private keep(key: string, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, { value, filledAt: this.now() });
    // Map iteration follows insertion order: the first key is the oldest fill.
    while (this.entries.size > this.options.maxEntries) {
      this.entries.delete(this.entries.keys().next().value!);
    }
  }
}
