import { AppError } from '@parley/service-kit';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { NotifyServiceClient, SendIntent } from './notify-service';

/**
 * What a channel activity keeps in its heartbeat details. Temporal hands the last details of an
 * attempt to the next one, so a retry learns that the provider already took the message even when
 * the notification service never heard of it.
 */
export interface SendProgress {
  /** The provider's id of the message it accepted; absent until it accepted one. */
  acceptedId?: string;
  /**
   * For a send made of several provider calls (web push: one per subscription and conversation),
   * the calls the provider accepted so far, by the caller's names. Absent in the details of a
   * single-call send, and of a worker older than this field, which set `acceptedId` only once every
   * call was made.
   */
  acceptedParts?: string[];
}

/**
 * While a provider call runs this long, the attempt heartbeats so Temporal sees it alive. Shorter
 * calls send no heartbeat before the provider answers, so the heartbeat that says "accepted" is
 * the first of the attempt and leaves at once (later ones wait for the SDK's throttle, 80% of the
 * workflow's heartbeatTimeout).
 *
 * A throttled heartbeat is not lost when the attempt then fails (throws): the worker hands its
 * pending details to Core before reporting the failure, and Core sends the last details it was
 * given inside the failure report (RespondActivityTaskFailed's last_heartbeat_details), which the
 * server passes to the next attempt. Read in the sources of SDK 1.24 (worker.js, "flushRequired";
 * sdk-core's activities.rs `complete` and `record_heartbeat`); Temporal's documentation says the
 * same. So a send that fails after its second acceptance needs no flush of its own. What the
 * throttle can still lose is the details of a worker that dies (or an attempt that times out)
 * within the throttle window: see `partAccepted`.
 */
const LIVENESS_MS = 4_000;
/** Waits between tries of recording an outcome: from the first, doubling up to the last. */
const RECORD_FIRST_WAIT_MS = 250;
const RECORD_MAX_WAIT_MS = 4_000;

/**
 * One attempt's view of a provider call that must happen at most once across attempts (Twilio
 * and SMTP take no idempotency key). Read the earlier attempts' progress with `load`, mark the
 * provider's acceptance with `accepted` as soon as it answers, and record the outcome with
 * `record`, which outlasts a notification service away for a while instead of failing the attempt.
 */
export class SendCheckpoint {
  private constructor(private progress: SendProgress) {}

  /** The progress the last attempt left in its heartbeat details, or none on the first attempt. */
  static load(): SendCheckpoint {
    const details: unknown = Context.current().info.heartbeatDetails;
    const { acceptedId, acceptedParts } =
      typeof details === 'object' && details !== null ? (details as Record<string, unknown>) : {};
    const progress: SendProgress = {};
    if (typeof acceptedId === 'string') progress.acceptedId = acceptedId;
    if (Array.isArray(acceptedParts)) {
      progress.acceptedParts = acceptedParts.filter((part): part is string => typeof part === 'string');
    }
    return new SendCheckpoint(progress);
  }

  /** The provider's id when an earlier attempt (or this one) saw the provider accept. */
  get acceptedId(): string | null {
    return this.progress.acceptedId ?? null;
  }

  /**
   * The parts of a several-call send accepted so far, or null when the details keep no parts: the
   * first attempt, or one after an older worker's attempt (which then finished every call if
   * `acceptedId` is set).
   */
  get acceptedParts(): readonly string[] | null {
    return this.progress.acceptedParts ?? null;
  }

  /** Remembers the provider's acceptance in the heartbeat details, before anything else can fail. */
  accepted(providerId: string): void {
    this.progress = { acceptedId: providerId };
    this.beat();
  }

  /**
   * Remembers that the provider accepted one part of a several-call send, with `providerId` for the
   * whole send so far. `acceptedId` is set from the first part on, so a worker older than
   * `acceptedParts` that picks up the retry during a rolling deploy records the send instead of
   * making every call again (it then skips the parts not yet made: a missed push, not a doubled one).
   *
   * TODO(push-once): only the attempt's first heartbeat leaves at once. When a worker dies within
   * the throttle window after a later part was accepted (up to 8 s with the 10 s heartbeatTimeout),
   * the server never saw that part and the retry makes that call again. Closing this needs the
   * parts recorded where a dead worker cannot lose them, such as the notification service's ledger.
   */
  partAccepted(part: string, providerId: string): void {
    const parts = this.progress.acceptedParts ?? [];
    this.progress = { acceptedId: providerId, acceptedParts: [...parts, part] };
    this.beat();
  }

  /** Runs a provider call, heartbeating while it takes longer than a few seconds. */
  async calling<T>(call: () => Promise<T>): Promise<T> {
    const timer = setInterval(() => this.beat(), LIVENESS_MS);
    try {
      return await call();
    } finally {
      clearInterval(timer);
    }
  }

  /**
   * Records an outcome, trying again with a growing wait while the service (or a sidecar) cannot
   * be reached, and heartbeating meanwhile. Stops when the attempt is cancelled (a timeout the
   * worker learns of through its heartbeat, or the workflow's cancellation): the next attempt reads
   * the acceptance from the heartbeat details and only records. A refusal (4xx) is not retried here.
   */
  async record(write: () => Promise<void>): Promise<void> {
    const context = Context.current();
    let wait = RECORD_FIRST_WAIT_MS;
    for (;;) {
      try {
        await write();
        return;
      } catch (err) {
        if (err instanceof AppError && err.status < 500) throw err;
        if (context.cancellationSignal.aborted) throw err;
        context.log.warn('recording the send outcome failed; trying again', {
          err: (err as Error).message,
          waitMs: wait,
        });
      }
      this.beat();
      // Rejects with a CancelledFailure when the attempt is cancelled.
      await context.sleep(wait);
      wait = Math.min(wait * 2, RECORD_MAX_WAIT_MS);
    }
  }

  private beat(): void {
    Context.current().heartbeat(this.progress);
  }
}

/** Where an attempt goes on from when the send is not finished yet. */
export interface OpenSend {
  checkpoint: SendCheckpoint;
  /** An earlier try began (the ledger holds its intent) and may have reached the provider. */
  triedBefore: boolean;
}

/**
 * How every channel's attempt begins. An acceptance that an earlier attempt saw for the whole
 * send is recorded and ends it; otherwise the ledger takes the intent, and a send it holds as sent
 * ends here too, while one it holds as failed fails for good as `failureType`. Answers null when
 * nothing is left to do.
 */
export async function openSend(
  notifyService: Pick<NotifyServiceClient, 'beginSend' | 'finishSend'>,
  intent: SendIntent,
  failureType: string,
): Promise<OpenSend | null> {
  const checkpoint = SendCheckpoint.load();
  const acceptedEarlier = checkpoint.acceptedId;
  // A send made in parts that stopped part-way goes on with the parts not yet accepted.
  if (acceptedEarlier !== null && checkpoint.acceptedParts === null) {
    await checkpoint.record(() =>
      notifyService.finishSend({ ...intent, outcome: 'sent', providerId: acceptedEarlier }),
    );
    return null;
  }
  const earlier = await notifyService.beginSend(intent);
  if (earlier.state === 'sent') return null;
  if (earlier.state === 'failed') {
    throw ApplicationFailure.nonRetryable(earlier.reason ?? 'failed', failureType);
  }
  return { checkpoint, triedBefore: earlier.state === 'intent' };
}
