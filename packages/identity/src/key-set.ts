import { DependencyError } from '@parley/service-kit';
import {
  type JSONWebKeySet,
  type JWTVerifyGetKey,
  type JWTHeaderParameters,
  type FlattenedJWSInput,
  createLocalJWKSet,
} from 'jose';

export interface RemoteKeySetOptions {
  /** Where the key set is read (auth's JWKS, through the caller's sidecar). */
  url: URL;
  headers?: Record<string, string>;
  /** How long a key set is trusted before it is read again. @default 600_000 */
  maxAgeMs?: number;
  /**
   * The least time between two reads made for a token whose key the set lacks. A token signed
   * with an unknown key waits for the next read this long at most, rather than being refused on a
   * set read a moment before its key appeared. @default 1_000
   */
  unknownKeyIntervalMs?: number;
  /** How long one read may take. @default 3_000 */
  timeoutMs?: number;
}

/**
 * Auth's public keys, read over HTTP and kept.
 *
 * Two answers must not be confused. A token whose key auth does not publish is invalid (401). A
 * token that cannot be checked because the key set cannot be read is not invalid: the caller is
 * told the keys are unavailable (503), so clients retry instead of dropping the session. For the
 * same reason an expired set still serves while a new one is read, or cannot be.
 */
export class RemoteKeySet {
  private readonly maxAgeMs: number;
  private readonly unknownKeyIntervalMs: number;
  private readonly timeoutMs: number;
  private keys: ReturnType<typeof createLocalJWKSet> | undefined;
  private kids = new Set<string | undefined>();
  private readAt = 0;
  /** When the last read started, successful or not. */
  private triedAt = Number.NEGATIVE_INFINITY;
  private reading: Promise<void> | undefined;
  /** Why the last read failed; cleared by the next one that succeeds. */
  private failure: unknown;

  constructor(private readonly options: RemoteKeySetOptions) {
    this.maxAgeMs = options.maxAgeMs ?? 600_000;
    this.unknownKeyIntervalMs = options.unknownKeyIntervalMs ?? 1_000;
    this.timeoutMs = options.timeoutMs ?? 3_000;
  }

  /** The resolver `jwtVerify` takes. */
  resolver(): JWTVerifyGetKey {
    return (header, token) => this.keyFor(header, token);
  }

  private async keyFor(header: JWTHeaderParameters, token: FlattenedJWSInput) {
    if (!this.keys) {
      await this.read().catch((err: unknown) => Promise.reject(unavailable(err)));
    } else if (this.expired() && !this.reading) {
      // Read again in the background: the expired set answers meanwhile, and goes on answering for
      // the keys it holds while auth cannot be reached (a retired key stays published until its
      // last token expires, so the set only grows stale by keys it lacks, handled below).
      void this.read().catch(() => undefined);
    }
    if (!this.kids.has(header.kid)) {
      // The key may be newer than the set (an immediate rotation), or the token forged: the set
      // is read again, by a read that started after the token came, at most once per interval
      // however many such tokens arrive.
      const arrived = Date.now();
      if (this.reading) await this.reading.catch(() => undefined);
      if (!this.kids.has(header.kid) && this.triedAt < arrived) {
        const wait = this.triedAt + this.unknownKeyIntervalMs - Date.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        if (!this.kids.has(header.kid)) await this.read().catch(() => undefined);
      }
      if (this.failure && !this.kids.has(header.kid)) throw unavailable(this.failure);
    }
    return (this.keys as ReturnType<typeof createLocalJWKSet>)(header, token);
  }

  /** Past its age, and not tried within the last interval (a failing read is not hammered). */
  private expired(): boolean {
    const now = Date.now();
    return now - this.readAt > this.maxAgeMs && now - this.triedAt >= this.unknownKeyIntervalMs;
  }

  /** One read at a time; callers during a read share it. */
  private read(): Promise<void> {
    this.reading ??= this.fetchSet()
      .then(
        () => {
          this.failure = undefined;
        },
        (err: unknown) => {
          this.failure = err ?? new Error('the key set could not be read');
          throw err;
        },
      )
      .finally(() => {
        this.reading = undefined;
      });
    return this.reading;
  }

  private async fetchSet(): Promise<void> {
    this.triedAt = Date.now();
    const res = await fetch(this.options.url, {
      headers: { accept: 'application/json', ...this.options.headers },
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (res.status !== 200) throw new Error(`the key set was answered with ${res.status}`);
    const body = (await res.json()) as JSONWebKeySet;
    // Refuses anything that is not a key set.
    const keys = createLocalJWKSet(body);
    this.keys = keys;
    this.kids = new Set(body.keys.map((key) => key.kid));
    this.readAt = Date.now();
  }
}

function unavailable(err: unknown): DependencyError {
  return new DependencyError('auth', 'The signing keys could not be read; try again shortly.', {
    cause: err,
  });
}
