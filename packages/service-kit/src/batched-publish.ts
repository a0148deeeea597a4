import { Batcher } from './batcher';
import { DependencyError } from './errors';
import type { Sidecar } from './dapr';

export interface BatchedPublisherOptions {
  /** Calls to the sidecar on their way at once, per topic. @default 2 */
  concurrency?: number;
  /** The most events one call carries. @default 100 */
  maxEvents?: number;
  /** How long an event waits at most for a call to come back before it leaves anyway. @default 100 */
  maxWaitMs?: number;
}

interface WaitingEvent {
  data: object;
  eventId: string;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Publishes through the sidecar, in batches while it is busy: an event published while
 * `concurrency` calls for its topic are on their way waits for one to come back (or `maxWaitMs`),
 * then leaves with every event of the topic that waited, in one bulk publish. An event published
 * while fewer are on their way leaves at once (with the events published in the same turn of the
 * event loop), so a quiet service adds no delay.
 *
 * Each event settles on its own: one the broker refused rejects, the others resolve. The events of
 * one call carry no order among themselves, as concurrent publishes carry none.
 */
export class BatchedPublisher {
  private readonly topics = new Map<string, Batcher<WaitingEvent>>();

  constructor(
    private readonly sidecar: Pick<Sidecar, 'publishBulk'>,
    private readonly options: BatchedPublisherOptions = {},
  ) {}

  publish(topic: string, data: object, eventId: string): Promise<void> {
    let batcher = this.topics.get(topic);
    if (!batcher) {
      batcher = new Batcher({
        concurrency: this.options.concurrency ?? 2,
        maxWaitMs: this.options.maxWaitMs ?? 100,
        maxItems: this.options.maxEvents ?? 100,
        send: (batch) => this.send(topic, batch),
      });
      this.topics.set(topic, batcher);
    }
    const topicBatcher = batcher;
    return new Promise<void>((resolve, reject) => topicBatcher.add({ data, eventId, resolve, reject }));
  }

  private async send(topic: string, batch: WaitingEvent[]): Promise<void> {
    let refused: Set<number>;
    try {
      refused = await this.sidecar.publishBulk(
        topic,
        batch.map(({ data, eventId }) => ({ data, eventId })),
      );
    } catch (err) {
      for (const event of batch) event.reject(err);
      return;
    }
    for (const [index, event] of batch.entries()) {
      if (refused.has(index)) {
        event.reject(
          new DependencyError('dapr-pubsub', `the broker refused event ${event.eventId} of ${topic}`),
        );
      } else {
        event.resolve();
      }
    }
  }
}
