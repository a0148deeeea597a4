import { randomBytes } from 'node:crypto';
import type { RoomSpec } from '../loadgen/protocol';

export interface BenchUser {
  userId: string;
  username: string;
  password: string;
  accessToken: string;
}

async function post<T>(url: string, body: unknown, token?: string): Promise<{ status: number; body: T }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

/** Registers and logs in one user through the gateway's public API. */
async function registerOne(gateway: string, username: string): Promise<BenchUser> {
  const password = `pw-${randomBytes(9).toString('base64url')}`;
  const registered = await post<{ user: { id: string } }>(`${gateway}/api/v1/accounts`, {
    username,
    email: `${username}@bench.example`,
    password,
    displayName: `Bench ${username}`,
  });
  // The name and address are new to this run, so "taken" means a retry (by the sidecar) of this
  // very request found the account it had created: the password is ours, and logging in settles it.
  if (registered.status !== 201 && registered.status !== 409) {
    throw new Error(`registration answered ${registered.status}: ${JSON.stringify(registered.body)}`);
  }
  let lastError: unknown;
  for (let attempt = 1; attempt <= 5; attempt++) {
    try {
      const accessToken = await logIn(gateway, { username, password });
      return { userId: claimsOf(accessToken).sub, username, password, accessToken };
    } catch (err) {
      // A busy auth service answers 503; the account is there, so only the login is tried again.
      lastError = err;
      await new Promise((resolve) => setTimeout(resolve, 1_000 * attempt));
    }
  }
  throw lastError;
}

/** Logs a registered user in and returns a fresh access token. */
export async function logIn(gateway: string, user: { username: string; password: string }): Promise<string> {
  const login = await post<{ accessToken: string }>(`${gateway}/api/v1/sessions`, {
    login: user.username,
    password: user.password,
  });
  if (login.status !== 201) throw new Error(`login answered ${login.status}: ${JSON.stringify(login.body)}`);
  return login.body.accessToken;
}

/** The claims of an access token (a JWT), read without checking it: the gateway checks it. */
export function claimsOf(token: string): { sub: string; exp: number } {
  const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
    sub?: string;
    exp?: number;
  };
  return { sub: payload.sub ?? '', exp: payload.exp ?? 0 };
}

/** Logs in again every user whose token expires within `marginSeconds`, a few at a time. */
export async function refreshTokens(
  gateway: string,
  users: BenchUser[],
  marginSeconds: number,
  concurrency = 8,
): Promise<number> {
  const due = users.filter((u) => claimsOf(u.accessToken).exp < Date.now() / 1000 + marginSeconds);
  let next = 0;
  const worker = async () => {
    while (next < due.length) {
      const user = due[next++]!;
      user.accessToken = await logIn(gateway, user);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return due.length;
}

/**
 * Registers users until there are `count`, starting from those already registered, several at a
 * time; `onProgress` gets the list every few seconds so that an interrupted set-up can go on later.
 * A failed registration is tried again under a new name (a sidecar may retry a slow registration
 * that in fact succeeded, and the retry then finds the name taken).
 */
export async function registerUsers(
  gateway: string,
  count: number,
  already: BenchUser[],
  log: (text: string) => void,
  onProgress: (users: BenchUser[]) => void,
  concurrency = 16,
): Promise<BenchUser[]> {
  const tag = randomBytes(3).toString('hex');
  const users = [...already];
  let next = users.length;
  let lastLog = performance.now();
  const worker = async () => {
    while (next < count) {
      const i = next++;
      let lastError: unknown;
      for (let attempt = 0; attempt < 5; attempt++) {
        try {
          users.push(await registerOne(gateway, `b${tag}_${i}_${attempt}`));
          lastError = undefined;
          break;
        } catch (err) {
          lastError = err;
        }
      }
      if (lastError) throw lastError;
      if (performance.now() - lastLog > 5_000) {
        lastLog = performance.now();
        log(`full stack: ${users.length} of ${count} users registered`);
        onProgress(users);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    onProgress(users);
  }
  return users;
}

/**
 * Group conversations of `size` for the users from index `from` on: users size*r .. size*r+size-1,
 * each group created by the first of them.
 */
export async function createGroups(
  gateway: string,
  users: BenchUser[],
  size: number,
  from: number,
  log: (text: string) => void,
): Promise<RoomSpec[]> {
  const rooms: RoomSpec[] = [];
  for (let r = Math.ceil(from / size); r * size + size <= users.length; r++) {
    const members = Array.from({ length: size }, (_, m) => r * size + m);
    const [creator, ...others] = members.map((m) => users[m]!);
    const created = await post<{ id: string }>(
      `${gateway}/api/v1/conversations`,
      { type: 'group', name: `bench room ${r}`, memberIds: others.map((u) => u.userId) },
      creator!.accessToken,
    );
    if (created.status !== 201)
      throw new Error(`creating a group answered ${created.status}: ${JSON.stringify(created.body)}`);
    rooms.push({ id: created.body.id, members });
  }
  log(`full stack: ${rooms.length} groups of ${size} created`);
  return rooms;
}
