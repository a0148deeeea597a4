import type { ChatMessageView } from '@parley/contracts';
import { AppError, Batcher, type Sidecar } from '@parley/service-kit';
import { SendQueueFullError } from './errors';

export interface SendBatcherOptions {
  /** Requests to chat on their way at once; sends made meanwhile wait for the next. @default 2 */
  concurrency?: number;
  /** The most sends one request carries; chat takes 100 at most. @default 100 */
  maxSends?: number;
  /** The most bytes of sends one request carries, under chat's body limit. @default 32_000 */
  maxBytes?: number;
  /**
   * How long a send waits at most for a request to come back before it leaves anyway: one slow
   * request (a send whose checks wait on another service) holds the others up this long at most.
   * @default 100
   */
  maxWaitMs?: number;
  /** @default 10_000 */
  timeoutMs?: number;
  /**
   * The most sends held at once, waiting for a request or in one not yet answered. While chat is
   * too slow to answer them, one more is refused at once with {@link SendQueueFullError} rather
   * than left to time out, and never reaches chat. @default 1_000
   */
  maxQueued?: number;
}

/** How long a send refused for a full queue is told to wait before it tries again. */
export const QUEUE_FULL_RETRY_MS = 1_000;

interface WaitingSend {
  entry: { userId: string; conversationId: string; message: unknown };
  bytes: number;
  resolve: (message: ChatMessageView) => void;
  reject: (err: unknown) => void;
}

/** Chat's answer to one send: stored, still being stored (202), or its problem. */
type SendOutcome =
  | { status: 200 | 201; message: ChatMessageView }
  | { status: number; code: string; detail: string; errors?: { path: string; message: string }[] };

/**
 * Hands the messages sockets emit to chat, in batches while chat is busy: a send made while
 * `concurrency` requests are on their way waits for one of them to come back, then leaves with
 * every send that waited (up to `maxSends` and `maxBytes`) in one request, or after `maxWaitMs`
 * beside them. A send made while fewer are on their way leaves at once, so a quiet gateway adds
 * no delay.
 *
 * The sends held are bounded (`maxQueued`, waiting or on their way): while chat cannot keep up,
 * and requests pile up behind the slow ones (each send leaves after `maxWaitMs`), a send beyond them is
 * refused at once (`REALTIME_SEND_QUEUE_FULL`, with how long to wait), so that overload costs the
 * latest sends an immediate refusal instead of costing every send a timeout.
 *
 * Each send is answered on its own, as a lone request would answer it; a request that fails as a
 * whole (chat away, a timeout) fails each of its sends with that error. A send chat was still
 * storing when it answered the batch is asked for alone, with the same client message id.
 */
export class SendBatcher {
  private readonly batcher: Batcher<WaitingSend>;
  private readonly timeoutMs: number;
  private readonly maxQueued: number;
  /** Sends taken and not yet answered. */
  private queued = 0;

  constructor(
    private readonly sidecar: Pick<Sidecar, 'invokeOk'>,
    options: SendBatcherOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.maxQueued = options.maxQueued ?? 1_000;
    this.batcher = new Batcher({
      concurrency: options.concurrency ?? 2,
      maxWaitMs: options.maxWaitMs ?? 100,
      maxItems: options.maxSends ?? 100,
      maxSize: options.maxBytes ?? 32_000,
      sizeOf: (send) => send.bytes,
      send: (batch) => this.dispatch(batch),
    });
  }

  send(userId: string, conversationId: string, message: unknown): Promise<ChatMessageView> {
    if (this.queued >= this.maxQueued) return Promise.reject(new SendQueueFullError(QUEUE_FULL_RETRY_MS));
    const entry = { userId, conversationId, message };
    const bytes = Buffer.byteLength(JSON.stringify(entry));
    this.queued++;
    return new Promise<ChatMessageView>((resolve, reject) =>
      this.batcher.add({ entry, bytes, resolve, reject }),
    ).finally(() => this.queued--);
  }

  private async dispatch(batch: WaitingSend[]): Promise<void> {
    let results: SendOutcome[];
    try {
      const body = await this.sidecar.invokeOk<{ results: SendOutcome[] }>(
        'chat',
        'internal/v1/message-sends',
        {
          method: 'POST',
          body: { sends: batch.map((send) => send.entry) },
          signal: AbortSignal.timeout(this.timeoutMs),
        },
      );
      results = body.results;
      if (!Array.isArray(results) || results.length !== batch.length) {
        throw new AppError('UPSTREAM_FAILED', 502, 'chat answered a batch of sends with another count');
      }
    } catch (err) {
      for (const send of batch) send.reject(err);
      return;
    }
    batch.forEach((send, index) => {
      const outcome = results[index]!;
      if ('message' in outcome && outcome.status < 300) {
        send.resolve(outcome.message);
      } else if (outcome.status === 202) {
        // Still being stored when chat answered the batch: asked alone, it answers once stored.
        this.alone(send).then(send.resolve, send.reject);
      } else {
        send.reject(failureOf(outcome));
      }
    });
  }

  private alone(send: WaitingSend): Promise<ChatMessageView> {
    const { userId, conversationId, message } = send.entry;
    return this.sidecar.invokeOk<ChatMessageView>(
      'chat',
      `internal/v1/users/${encodeURIComponent(userId)}/conversations/${conversationId}/messages`,
      { method: 'POST', body: message, signal: AbortSignal.timeout(this.timeoutMs) },
    );
  }
}

/** The error a lone send's answer would have raised: the callee's words for a refusal, vague for a fault. */
function failureOf(outcome: SendOutcome): AppError {
  const refused = outcome.status >= 400 && outcome.status < 500;
  const code = 'code' in outcome && typeof outcome.code === 'string' ? outcome.code : 'UPSTREAM_FAILED';
  const detail = refused && 'detail' in outcome ? outcome.detail : `chat answered ${outcome.status}`;
  const errors = 'errors' in outcome ? outcome.errors : undefined;
  return new AppError(code, refused ? outcome.status : 502, detail, {
    upstream: 'chat',
    ...(errors ? { errors } : {}),
  });
}
