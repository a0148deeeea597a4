import type { ChatMessageView } from '@parley/contracts';

/**
 * Reads messages of a conversation with a sequence number above `after`, ascending, and the
 * conversation's highest number as chat knows it (which may trail the newest message a moment).
 */
export type FetchAfter = (
  conversationId: string,
  after: number,
  limit: number,
) => Promise<{ items: ChatMessageView[]; lastSeq: number }>;

interface ConversationState {
  /** Highest sequence number this socket has been sent (or held when it connected). */
  lastSent: number;
  /**
   * Live messages sent before the client's sync said what it holds: (liveFrom, lastSent] went out
   * already, so a sync must not send them again.
   */
  liveFrom: number;
  synced: boolean;
  /** A sync or gap fill is reading history; live messages wait in `pending` meanwhile. */
  busy: boolean;
  pending: Map<number, ChatMessageView>;
  gapTimer: NodeJS.Timeout | undefined;
  /** The wait before the next gap fill, after one that failed (0 once one succeeds). */
  retryMs: number;
}

const PAGE = 200;
/** How long a live message waits for the ones before it before they are read from history. */
const GAP_WAIT_MS = 300;
/** After a failed gap fill (chat away), the next one waits this long, doubling up to the most. */
const RETRY_FIRST_MS = 1_000;
const RETRY_MOST_MS = 30_000;
/**
 * Live messages held at most while a gap cannot be filled; beyond that they are dropped, and read
 * from history with the gap once chat answers again (nothing was sent past the gap).
 */
const MAX_PENDING = 1_000;

export interface OrderedDeliveryOptions {
  /**
   * Whether a failed read means the socket may no longer read the conversation (the member left):
   * the conversation is then dropped. Any other failure (chat away, a timeout) keeps its place,
   * and the gap is filled again later, so no message is skipped or sent twice.
   */
  isRefusal?: (err: unknown) => boolean;
  retryFirstMs?: number;
}

/**
 * Sends one socket the messages of its conversations in sequence order, each exactly once.
 *
 * Live messages arrive from pub/sub in any order and may repeat; a reconnecting client asks for
 * everything after the sequence number it holds. Both paths go through here: a message is sent
 * only when it is the next one, later ones wait, a missing one is read from the chat service,
 * and anything at or below what was sent is dropped.
 */
export class OrderedDelivery {
  private readonly states = new Map<string, ConversationState>();
  private closed = false;

  private readonly isRefusal: (err: unknown) => boolean;
  private readonly retryFirstMs: number;

  constructor(
    private readonly emit: (message: ChatMessageView) => void,
    private readonly fetchAfter: FetchAfter,
    private readonly onError: (err: unknown, conversationId: string) => void,
    options: OrderedDeliveryOptions = {},
  ) {
    this.isRefusal = options.isRefusal ?? (() => false);
    this.retryFirstMs = options.retryFirstMs ?? RETRY_FIRST_MS;
  }

  /** Where a conversation stands when the socket connects: the client is assumed current. */
  start(conversationId: string, lastSeq: number): void {
    if (!this.states.has(conversationId)) this.states.set(conversationId, newState(lastSeq));
  }

  forget(conversationId: string): void {
    const state = this.states.get(conversationId);
    if (state) clearTimeout(state.gapTimer);
    this.states.delete(conversationId);
  }

  close(): void {
    this.closed = true;
    for (const id of [...this.states.keys()]) this.forget(id);
  }

  /**
   * A message from pub/sub that can go out at once with nothing else: the next one of a
   * conversation this socket follows, with no sync or gap fill under way and nothing waiting. It
   * is then counted as sent, and the caller sends it; otherwise nothing changes and the caller
   * hands it to `live`. Lets one encoding of a message serve every socket it is due on.
   */
  claimNext(message: ChatMessageView): boolean {
    const state = this.states.get(message.conversationId);
    if (this.closed || !state || state.busy || state.retryMs > 0 || state.pending.size > 0) return false;
    if (message.seq !== state.lastSent + 1) return false;
    state.lastSent = message.seq;
    return true;
  }

  /** A message from pub/sub. */
  live(message: ChatMessageView): void {
    if (this.closed) return;
    let state = this.states.get(message.conversationId);
    if (!state) {
      // A conversation joined after connecting: its first live message sets where it starts.
      state = newState(message.seq - 1);
      this.states.set(message.conversationId, state);
    }
    if (message.seq <= state.lastSent) return;
    if (state.pending.size >= MAX_PENDING) return;
    state.pending.set(message.seq, message);
    if (!state.busy && state.retryMs === 0) this.flush(message.conversationId, state);
  }

  /**
   * The client holds everything up to `held`: sends what follows, in order, then whatever arrived
   * live meanwhile. Resolves with the highest sequence number sent. A client that holds more than
   * the conversation has (a cursor from before the store lost its last writes, or a wrong one) is
   * taken back to the conversation's newest number, and learns it from the answer: otherwise every
   * message numbered up to its cursor would count as sent and never reach it.
   */
  async sync(conversationId: string, held: number): Promise<number> {
    let state = this.states.get(conversationId);
    if (!state) {
      state = newState(held);
      this.states.set(conversationId, state);
    }
    if (state.busy) await this.idle(state);
    const alreadySentLive = state.synced ? undefined : { from: state.liveFrom, to: state.lastSent };
    state.synced = true;
    state.lastSent = held;
    state.busy = true;
    let newest: number;
    try {
      newest = await this.readFrom(conversationId, state, alreadySentLive);
    } catch (err) {
      state.busy = false;
      // What waits live is still due once chat answers again.
      if (state.pending.size > 0 && !state.gapTimer) this.retryLater(conversationId, state);
      throw err;
    }
    state.busy = false;
    state.retryMs = 0;
    if (state.lastSent > newest) state.lastSent = newest;
    // Raise past what went out live before the sync, even if the sync found nothing newer.
    if (alreadySentLive && alreadySentLive.to > state.lastSent) state.lastSent = alreadySentLive.to;
    this.flush(conversationId, state);
    return state.lastSent;
  }

  /**
   * Chat says the conversation has reached `lastSeq`: what this socket lacks below it is read from
   * history now, unless a read is under way or already planned (it reads them too). For a live
   * message that went astray, which no later message or sync would bring.
   */
  behind(conversationId: string, lastSeq: number): void {
    const state = this.states.get(conversationId);
    if (this.closed || !state || lastSeq <= state.lastSent) return;
    if (state.busy || state.gapTimer) return;
    void this.fillGap(conversationId, state);
  }

  /** Highest sequence number sent, per conversation (for tests and diagnostics). */
  position(conversationId: string): number | undefined {
    return this.states.get(conversationId)?.lastSent;
  }

  /** Sends what history holds after lastSent; resolves with the newest number chat knows. */
  private async readFrom(
    conversationId: string,
    state: ConversationState,
    skip?: { from: number; to: number },
  ): Promise<number> {
    let newest = 0;
    for (;;) {
      const page = await this.fetchAfter(conversationId, state.lastSent, PAGE);
      newest = Math.max(newest, page.lastSeq, page.items.at(-1)?.seq ?? 0);
      if (this.closed) return newest;
      for (const message of page.items) {
        if (message.seq <= state.lastSent) continue;
        state.lastSent = message.seq;
        state.pending.delete(message.seq);
        if (skip && message.seq > skip.from && message.seq <= skip.to) continue;
        this.emit(message);
      }
      if (page.items.length < PAGE) return newest;
    }
  }

  /** Sends waiting messages while they are next in line; a hole waits, then is read from history. */
  private flush(conversationId: string, state: ConversationState): void {
    for (const seq of [...state.pending.keys()]) if (seq <= state.lastSent) state.pending.delete(seq);
    let next = state.pending.get(state.lastSent + 1);
    while (next) {
      state.pending.delete(next.seq);
      state.lastSent = next.seq;
      this.emit(next);
      next = state.pending.get(state.lastSent + 1);
    }
    clearTimeout(state.gapTimer);
    state.gapTimer = undefined;
    if (state.pending.size > 0) {
      state.gapTimer = setTimeout(() => void this.fillGap(conversationId, state), GAP_WAIT_MS);
    }
  }

  private async fillGap(conversationId: string, state: ConversationState): Promise<void> {
    state.gapTimer = undefined;
    // A sync under way reads the gap itself, and schedules what remains when it ends.
    if (this.closed || state.busy || this.states.get(conversationId) !== state) return;
    state.busy = true;
    try {
      await this.readFrom(conversationId, state);
    } catch (err) {
      state.busy = false;
      this.onError(err, conversationId);
      if (this.isRefusal(err)) {
        // The member left: nothing more of this conversation is theirs to receive.
        this.forget(conversationId);
        return;
      }
      // Chat is away: keep the place and what waits, and try again later. Live messages meanwhile
      // only wait, so none goes out past the gap.
      this.retryLater(conversationId, state);
      return;
    }
    state.busy = false;
    state.retryMs = 0;
    this.flush(conversationId, state);
  }

  private retryLater(conversationId: string, state: ConversationState): void {
    if (this.closed || this.states.get(conversationId) !== state) return;
    state.retryMs = Math.min(RETRY_MOST_MS, state.retryMs ? state.retryMs * 2 : this.retryFirstMs);
    clearTimeout(state.gapTimer);
    state.gapTimer = setTimeout(() => void this.fillGap(conversationId, state), state.retryMs);
  }

  private async idle(state: ConversationState): Promise<void> {
    while (state.busy) await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function newState(lastSent: number): ConversationState {
  return {
    lastSent,
    liveFrom: lastSent,
    synced: false,
    busy: false,
    pending: new Map(),
    gapTimer: undefined,
    retryMs: 0,
  };
}
