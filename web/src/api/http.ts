import type { Session } from './types';

/** An RFC 9457 problem answered by the API, with its stable code. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly errors: { path: string; message: string }[] = [],
  ) {
    super(message);
  }
}

const STORAGE_KEY = 'parley.session';

type Listener = (session: Session | null) => void;

/**
 * The logged-in session (tokens and the user), kept in localStorage so a reload stays logged in.
 * Access tokens are refreshed once when the API says they expired; one refresh runs at a time,
 * because each refresh token works only once.
 */
class SessionHolder {
  private current: Session | null = null;
  private refreshing: Promise<Session | null> | null = null;
  private readonly listeners = new Set<Listener>();

  constructor() {
    try {
      const raw = localStorage.getItem(STORAGE_KEY);
      this.current = raw ? (JSON.parse(raw) as Session) : null;
    } catch {
      this.current = null;
    }
    // Another tab logged in, out or refreshed.
    window.addEventListener('storage', (event) => {
      if (event.key !== STORAGE_KEY) return;
      this.current = event.newValue ? (JSON.parse(event.newValue) as Session) : null;
      this.emit();
    });
  }

  get(): Session | null {
    return this.current;
  }

  set(session: Session | null): void {
    this.current = session;
    if (session) localStorage.setItem(STORAGE_KEY, JSON.stringify(session));
    else localStorage.removeItem(STORAGE_KEY);
    this.emit();
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Trades the refresh token for new tokens; null (logged out) when the session ended. */
  refresh(): Promise<Session | null> {
    if (this.refreshing) return this.refreshing;
    const held = this.current;
    if (!held) return Promise.resolve(null);
    this.refreshing = (async () => {
      try {
        const res = await fetch('/api/v1/sessions/refresh', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ refreshToken: held.refreshToken }),
        });
        if (res.status === 200) {
          const next = (await res.json()) as Session;
          this.set({ ...next, user: next.user ?? held.user });
          return this.current;
        }
        if (res.status === 401) this.set(null);
        return null;
      } finally {
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }

  private emit(): void {
    for (const listener of this.listeners) listener(this.current);
  }
}

export const session = new SessionHolder();

export interface RequestOptions {
  method?: string;
  body?: unknown;
  query?: Record<string, string | number | boolean | undefined | string[]>;
  /** Send without the access token (login, registration). */
  anonymous?: boolean;
  signal?: AbortSignal;
}

function withQuery(path: string, query: RequestOptions['query']): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) params.append(name, String(v));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

async function send(path: string, options: RequestOptions, token: string | undefined): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  return fetch(`/api/v1${withQuery(path, options.query)}`, {
    method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    signal: options.signal,
  });
}

async function problemOf(res: Response): Promise<ApiError> {
  try {
    const body = (await res.json()) as {
      code?: string;
      detail?: string;
      title?: string;
      errors?: { path: string; message: string }[];
    };
    const message = body.errors?.length
      ? body.errors.map((e) => `${e.path.replace(/^body\./, '')}: ${e.message}`).join('; ')
      : (body.detail ?? body.title ?? res.statusText);
    return new ApiError(res.status, body.code ?? 'UNKNOWN', message, body.errors);
  } catch {
    return new ApiError(res.status, 'UNKNOWN', `The server answered ${res.status}.`);
  }
}

/** Calls `/api/v1<path>` and answers the parsed JSON body; throws ApiError for a problem. */
export async function api<T = unknown>(path: string, options: RequestOptions = {}): Promise<T> {
  const token = options.anonymous ? undefined : session.get()?.accessToken;
  let res = await send(path, options, token);
  if (res.status === 401 && token) {
    const fresh = await session.refresh();
    if (fresh) res = await send(path, options, fresh.accessToken);
  }
  if (!res.ok) throw await problemOf(res);
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

/** A human sentence for any failure. */
export function describeError(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof Error) return err.message;
  return 'Something went wrong.';
}
