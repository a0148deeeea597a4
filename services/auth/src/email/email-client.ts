import { AppError, type Logger, type Sidecar } from '@parley/service-kit';

export interface OutgoingEmail {
  /** The same key never sends twice: the notification service derives its workflow id from it. */
  idempotencyKey: string;
  to: { address: string; name: string };
  subject: string;
  text: string;
}

/**
 * Waits between tries to hand an email over while the notification service is away: about nine
 * minutes in all, longer than a restart takes, well within the life of the links emails carry.
 */
export const HAND_OVER_RETRY_DELAYS_MS = [1_000, 5_000, 15_000, 30_000, 60_000, 120_000, 300_000];

/**
 * Hands emails to the notification service, which sends them durably through a workflow. A failed
 * hand-over does not fail the account change: the email is tried again in the background while
 * the notification service comes back, and, being keyed, is sent once however often it is tried.
 *
 * The retries live in this process only: an email carries a one-time link whose secret is kept
 * nowhere else in clear, so it is not written to the database. If auth stops while an email
 * waits, the user asks again (a new link).
 */
export class EmailClient {
  private readonly waiting = new Map<NodeJS.Timeout, OutgoingEmail>();

  constructor(
    private readonly sidecar: Pick<Sidecar, 'invokeOk'>,
    private readonly logger: Logger,
    private readonly retryDelaysMs: readonly number[] = HAND_OVER_RETRY_DELAYS_MS,
  ) {}

  /** Resolves once the email was handed over or is waiting for its next try. */
  async send(email: OutgoingEmail): Promise<void> {
    if (!(await this.handOver(email, 0))) this.retryLater(email, 0);
  }

  /** How many emails wait for another try (for tests). */
  get pending(): number {
    return this.waiting.size;
  }

  /** On shutdown: each waiting email gets one last try now; what still fails is logged. */
  async close(): Promise<void> {
    const emails = [...this.waiting.values()];
    for (const timer of this.waiting.keys()) clearTimeout(timer);
    this.waiting.clear();
    const results = await Promise.all(emails.map((email) => this.handOver(email, -1)));
    const lost = results.filter((done) => !done).length;
    if (lost > 0) this.logger.error({ emails: lost }, 'stopped with emails not handed over');
  }

  /** True once handed over, or refused for good (a retry would be refused the same way). */
  private async handOver(email: OutgoingEmail, attempt: number): Promise<boolean> {
    try {
      await this.sidecar.invokeOk('notification', 'internal/v1/emails', { method: 'POST', body: email });
      if (attempt !== 0)
        this.logger.info({ idempotencyKey: email.idempotencyKey, attempt }, 'email handed over');
      return true;
    } catch (err) {
      const refused = err instanceof AppError && err.status < 500;
      this.logger.error(
        { err, idempotencyKey: email.idempotencyKey, attempt },
        refused ? 'the notification service refused an email' : 'handing an email over failed; trying again',
      );
      return refused;
    }
  }

  private retryLater(email: OutgoingEmail, attempt: number): void {
    const delay = this.retryDelaysMs[attempt];
    if (delay === undefined) {
      this.logger.error({ idempotencyKey: email.idempotencyKey }, 'gave up handing an email over');
      return;
    }
    const timer = setTimeout(() => {
      this.waiting.delete(timer);
      void this.handOver(email, attempt + 1).then((done) => {
        if (!done) this.retryLater(email, attempt + 1);
      });
    }, delay);
    timer.unref();
    this.waiting.set(timer, email);
  }
}
