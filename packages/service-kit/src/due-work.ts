import type { Collection, Document, WithId } from 'mongodb';
import type { Logger } from 'pino';

/**
 * Runs `pass` every `pollMs`, one pass at a time, until stopped: the loop behind the stores of
 * work a service retries itself (kept events, parked events).
 */
export class Poller {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly pass: () => Promise<unknown>,
    private readonly pollMs: number,
    private readonly logger: Logger,
    /** What a failed pass was doing, for its log line. */
    private readonly what: string,
  ) {}

  /** Whether `stop` was called (a pass in progress ends early). */
  get isStopped(): boolean {
    return this.stopped;
  }

  start(): void {
    this.stopped = false;
    const tick = () => {
      this.running = this.pass()
        .then(() => undefined)
        .catch((err: unknown) => this.logger.warn({ err }, `${this.what} failed; trying again`))
        .finally(() => {
          this.running = undefined;
          if (!this.stopped) this.timer = setTimeout(tick, this.pollMs);
        });
    };
    this.timer = setTimeout(tick, this.pollMs);
  }

  /** Stops polling and waits for a pass in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }
}

/**
 * Claims the entry that has been due longest, hiding it from every instance for `leaseMs`: if the
 * claimer dies, the entry is due again once the lease runs out.
 */
export async function claimDue<T extends Document & { dueAt: Date }>(
  collection: Collection<T>,
  now: number,
  leaseMs: number,
): Promise<WithId<T> | null> {
  return collection.findOneAndUpdate(
    { dueAt: { $lte: new Date(now) } } as never,
    { $set: { dueAt: new Date(now + leaseMs) } } as never,
    { sort: { dueAt: 1 }, returnDocument: 'after' },
  );
}

/** An error as the short text kept beside a retried entry. */
export function describeError(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).slice(0, 1_000);
}
