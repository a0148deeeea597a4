import type { Logger, Sidecar } from '@parley/service-kit';

export interface OutgoingEmail {
  /** The same key never sends twice: the notification service derives its workflow id from it. */
  idempotencyKey: string;
  to: { address: string; name: string };
  subject: string;
  text: string;
}

/**
 * Hands emails to the notification service, which sends them durably through a workflow. A failure
 * to hand one over is logged, not thrown: the account change stands and the user can ask again.
 */
export class EmailClient {
  constructor(
    private readonly sidecar: Sidecar,
    private readonly logger: Logger,
  ) {}

  async send(email: OutgoingEmail): Promise<void> {
    try {
      await this.sidecar.invokeOk('notification', 'internal/v1/emails', { method: 'POST', body: email });
    } catch (err) {
      this.logger.error({ err, idempotencyKey: email.idempotencyKey }, 'handing an email over failed');
    }
  }
}
