export interface BatcherOptions<T> {
  /** Batches on their way at once; items added meanwhile wait for one to come back. */
  concurrency: number;
  /**
   * How long an item waits at most for a batch to come back; then it leaves anyway, beside those
   * on their way, so one slow batch holds the others up this long at most. @default Infinity
   */
  maxWaitMs?: number;
  /** The most items one batch carries. */
  maxItems: number;
  /** The most of `sizeOf` one batch carries; an item alone over it goes alone. @default Infinity */
  maxSize?: number;
  sizeOf?: (item: T) => number;
  /** Sends one batch. Settling each item is up to it; a rejection is ignored. */
  send: (batch: T[]) => Promise<void>;
}

/**
 * Natural batching: an item added while fewer than `concurrency` batches are on their way leaves
 * once the current turn of the event loop is over, together with the items added in that turn, so
 * a quiet service waits for nothing. Under load, items gather while the batches on their way come
 * back and leave together in the next one: the busier the service, the bigger its batches, and the
 * fewer requests (or commands) each item costs.
 */
export class Batcher<T> {
  private readonly waiting: { item: T; since: number }[] = [];
  private onTheirWay = 0;
  private scheduled = false;
  private overdue: NodeJS.Timeout | undefined;
  private readonly maxWaitMs: number;
  private readonly maxSize: number;

  constructor(private readonly options: BatcherOptions<T>) {
    this.maxWaitMs = options.maxWaitMs ?? Number.POSITIVE_INFINITY;
    this.maxSize = options.maxSize ?? Number.POSITIVE_INFINITY;
  }

  add(item: T): void {
    this.waiting.push({ item, since: Date.now() });
    this.schedule();
  }

  private schedule(): void {
    if (this.waiting.length === 0) return;
    if (this.onTheirWay < this.options.concurrency) {
      if (this.scheduled) return;
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        while (this.onTheirWay < this.options.concurrency && this.waiting.length > 0) this.dispatch();
      });
      return;
    }
    if (this.overdue || this.maxWaitMs === Number.POSITIVE_INFINITY) return;
    const waited = Date.now() - this.waiting[0]!.since;
    this.overdue = setTimeout(
      () => {
        this.overdue = undefined;
        if (this.waiting.length > 0 && Date.now() - this.waiting[0]!.since >= this.maxWaitMs) this.dispatch();
        this.schedule();
      },
      Math.max(0, this.maxWaitMs - waited),
    );
  }

  private dispatch(): void {
    const batch = this.nextBatch();
    this.onTheirWay++;
    void this.options
      .send(batch)
      .catch(() => undefined)
      .finally(() => {
        this.onTheirWay--;
        this.schedule();
      });
  }

  /** The longest run of waiting items within both limits. */
  private nextBatch(): T[] {
    let size = 0;
    let count = 0;
    for (const { item } of this.waiting) {
      const itemSize = this.options.sizeOf?.(item) ?? 0;
      if (count === this.options.maxItems || (count > 0 && size + itemSize > this.maxSize)) break;
      size += itemSize;
      count++;
    }
    return this.waiting.splice(0, count).map((w) => w.item);
  }
}
