import { randomBytes } from 'node:crypto';

export interface RegisteredUser {
  userId: string;
  username: string;
  email: string;
  password: string;
  displayName: string;
  accessToken: string;
  refreshToken: string;
  sessionId: string;
}

export interface RegistrationOverrides {
  username?: string;
  email?: string;
  password?: string;
  displayName?: string;
  phone?: string;
  deviceName?: string;
}

/** A username no other test run will pick: `u_` and 12 random hex digits. */
export function uniqueUsername(prefix = 'u_'): string {
  return `${prefix}${randomBytes(6).toString('hex')}`;
}

/** Sends a JSON request and returns the status, headers and parsed body. */
export async function callJson<T = Record<string, unknown>>(
  url: string,
  init: { method?: string; body?: unknown; token?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: T; headers: Headers }> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  const res = await fetch(url, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : undefined) as T };
}

/**
 * Registers a fresh user through the gateway (`gatewayUrl` is its origin, such as
 * `http://127.0.0.1:4400`) and logs them in. Throws with the answer when either step fails.
 */
export async function registerAndLogin(
  gatewayUrl: string,
  overrides: RegistrationOverrides = {},
): Promise<RegisteredUser> {
  const username = overrides.username ?? uniqueUsername();
  const email = overrides.email ?? `${username}@example.test`;
  const password = overrides.password ?? `pw-${randomBytes(9).toString('base64url')}`;
  const displayName = overrides.displayName ?? `Test ${username}`;
  const registration = {
    username,
    email,
    password,
    displayName,
    ...(overrides.phone ? { phone: overrides.phone } : {}),
  };
  const registered = await callJson<{ user: { id: string } }>(`${gatewayUrl}/api/v1/accounts`, {
    body: registration,
  });
  if (registered.status !== 201) {
    throw new Error(`registration answered ${registered.status}: ${JSON.stringify(registered.body)}`);
  }
  const login = await callJson<{ accessToken: string; refreshToken: string; sessionId: string }>(
    `${gatewayUrl}/api/v1/sessions`,
    {
      body: {
        login: username,
        password,
        ...(overrides.deviceName ? { deviceName: overrides.deviceName } : {}),
      },
    },
  );
  if (login.status !== 201) {
    throw new Error(`login answered ${login.status}: ${JSON.stringify(login.body)}`);
  }
  return {
    userId: registered.body.user.id,
    username: username.toLowerCase(),
    email: email.toLowerCase(),
    password,
    displayName,
    accessToken: login.body.accessToken,
    refreshToken: login.body.refreshToken,
    sessionId: login.body.sessionId,
  };
}
