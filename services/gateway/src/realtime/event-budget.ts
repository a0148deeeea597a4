/**
 * How many events one socket may still send: a bucket of `burst` tokens, refilled at
 * `perSecond`. Kept in the socket's own memory, so checking it costs no round trip: a client
 * that opens more sockets gets more budget, but each socket needs a valid session.
 */
export class EventBudget {
  private tokens: number;
  private at: number;

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    now = Date.now(),
  ) {
    this.tokens = burst;
    this.at = now;
  }

  /** Spends one token: 0 when the event may go, else how many ms until the next token. */
  take(now = Date.now()): number {
    const elapsed = Math.max(0, now - this.at);
    this.tokens = Math.min(this.burst, this.tokens + (elapsed * this.perSecond) / 1000);
    this.at = Math.max(this.at, now);
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil(((1 - this.tokens) * 1000) / this.perSecond));
  }
}
