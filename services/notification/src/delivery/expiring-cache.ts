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

/**
 * A per-instance cache of facts another service owns, filled on a miss and dropped when that
 * service announces a change. Concurrent misses for one key share one load. A load that was
 * running when its key was dropped answers its callers but is not kept: it may predate the change.
 */
export class ExpiringCache<V> {
  private readonly entries = new Map<string, Entry<V>>();
  private readonly loading = new Map<string, { promise: Promise<V>; dropped: boolean }>();
  private readonly now: () => number;

  constructor(private readonly options: ExpiringCacheOptions) {
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  async get(key: string, load: () => Promise<V>): Promise<V> {
    const entry = this.entries.get(key);
    if (entry && this.now() - entry.filledAt < this.options.maxAgeMs) return entry.value;
    if (entry) this.entries.delete(key);
    const running = this.loading.get(key);
    if (running) return running.promise;

    const pending = { promise: load(), dropped: false };
    this.loading.set(key, pending);
    try {
      const value = await pending.promise;
      if (!pending.dropped) this.keep(key, value);
      return value;
    } finally {
      if (this.loading.get(key) === pending) this.loading.delete(key);
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
