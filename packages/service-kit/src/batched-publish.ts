import { DependencyError } from './errors';
import type { Sidecar } from './dapr';

export interface BatchedPublisherOptions {
  /** Calls to the sidecar on their way at once, per topic. @default 2 */
  concurrency?: number;
  /** The most events one call carries. @default 100 */
  maxEvents?: number;
}

interface WaitingEvent {
  data: object;
  eventId: string;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** One topic's waiting events and its calls on their way. */
class TopicQueue {
  readonly waiting: WaitingEvent[] = [];
  onTheirWay = 0;
  scheduled = false;
}

/**
 * Publishes through the sidecar, in batches while it is busy: an event published while
 * `concurrency` calls for its topic are on their way waits for one to come back, then leaves with
 * every event of the topic that waited, in one bulk publish. An event published while fewer are
 * on their way leaves at once (after the current turn of the event loop, with the events published
 * in it), so a quiet service adds no delay.
 *
 * Each event settles on its own: one the broker refused rejects, the others resolve. The events of
 * one call carry no order among themselves, as concurrent publishes carry none.
 */
export class BatchedPublisher {
  private readonly topics = new Map<string, TopicQueue>();
  private readonly concurrency: number;
  private readonly maxEvents: number;

  constructor(
    private readonly sidecar: Pick<Sidecar, 'publishBulk'>,
    options: BatchedPublisherOptions = {},
  ) {
    this.concurrency = options.concurrency ?? 2;
    this.maxEvents = options.maxEvents ?? 100;
  }

  publish(topic: string, data: object, eventId: string): Promise<void> {
    let queue = this.topics.get(topic);
    if (!queue) {
      queue = new TopicQueue();
      this.topics.set(topic, queue);
    }
    const waiting = queue.waiting;
    const promise = new Promise<void>((resolve, reject) => waiting.push({ data, eventId, resolve, reject }));
    this.schedule(topic, queue);
    return promise;
  }

  private schedule(topic: string, queue: TopicQueue): void {
    if (queue.scheduled || queue.onTheirWay >= this.concurrency || queue.waiting.length === 0) return;
    queue.scheduled = true;
    setImmediate(() => {
      queue.scheduled = false;
      while (queue.onTheirWay < this.concurrency && queue.waiting.length > 0) {
        queue.onTheirWay++;
        void this.send(topic, queue.waiting.splice(0, this.maxEvents)).finally(() => {
          queue.onTheirWay--;
          this.schedule(topic, queue);
        });
      }
    });
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
