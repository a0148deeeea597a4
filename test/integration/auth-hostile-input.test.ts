import { request } from 'node:http';
import { MongoClient } from 'mongodb';
import t from 'tap';
import { startTestStack } from '../support/stack';
import { registerAndLogin } from '../support/users';

/** One hostile request: where it goes and what it carries. */
interface Attack {
  name: string;
  method?: string;
  path: string;
  /** A raw body string is sent as is; anything else as JSON. */
  body?: unknown;
  contentType?: string;
  auth?: boolean;
}

const OPERATORS = [
  { $ne: null },
  { $gt: '' },
  { $regex: '.*' },
  { $where: 'sleep(1000)' },
  ['a', 'b'],
  42,
  true,
  null,
];

// Malformed and hostile input against every auth route, through the gateway: each is answered
// with a 4xx problem, and the auth database is exactly as it was before.
t.test('malformed and hostile input is refused without changing stored data', async (t) => {
  const env = await startTestStack(t, { env: { BCRYPT_COST: '4' } });
  const gateway = () => `http://127.0.0.1:${env.stack.ports.apps.gateway.app}`;
  const victim = await registerAndLogin(gateway());
  const attacker = await registerAndLogin(gateway());
  const mongo = new MongoClient(`mongodb://127.0.0.1:${env.stack.ports.mongo}/`);
  t.teardown(() => mongo.close());
  const db = mongo.db('parley_auth');

  const snapshot = async () => {
    const collections = await db.listCollections().toArray();
    const entries = await Promise.all(
      collections
        .map((c) => c.name)
        .sort()
        .map(async (name) => [name, await db.collection(name).find({}).sort({ _id: 1 }).toArray()] as const),
    );
    return JSON.stringify(entries);
  };

  const attacks: Attack[] = [];
  for (const value of OPERATORS) {
    const v = JSON.stringify(value);
    attacks.push(
      { name: `login as ${v}`, path: '/sessions', body: { login: value, password: victim.password } },
      { name: `password as ${v}`, path: '/sessions', body: { login: victim.username, password: value } },
      { name: `refresh token as ${v}`, path: '/sessions/refresh', body: { refreshToken: value } },
      {
        name: `registration username as ${v}`,
        path: '/accounts',
        body: { username: value, email: 'x@example.test', password: 'long enough', displayName: 'X' },
      },
      {
        name: `registration email as ${v}`,
        path: '/accounts',
        body: { username: 'fresh_name', email: value, password: 'long enough', displayName: 'X' },
      },
      { name: `verification token as ${v}`, path: '/accounts/email-verification', body: { token: value } },
      { name: `reset email as ${v}`, path: '/accounts/password-reset-requests', body: { email: value } },
      {
        name: `reset token as ${v}`,
        path: '/accounts/password-reset',
        body: { token: value, password: 'new password!' },
      },
      {
        name: `profile name as ${v}`,
        method: 'PATCH',
        path: '/users/me',
        body: { displayName: value },
        auth: true,
      },
      {
        name: `deletion password as ${v}`,
        method: 'DELETE',
        path: '/accounts/me',
        body: { password: value },
        auth: true,
      },
    );
  }
  attacks.push(
    {
      name: 'a registration that grants itself a role',
      path: '/accounts',
      body: {
        username: 'roleplay',
        email: 'r@example.test',
        password: 'long enough',
        displayName: 'R',
        roles: ['admin'],
      },
    },
    {
      name: 'prototype pollution in a registration',
      path: '/accounts',
      body: '{"username":"protoman","email":"p@example.test","password":"long enough","displayName":"P","__proto__":{"roles":["admin"]}}',
    },
    {
      name: 'a password of 73 bytes',
      path: '/accounts',
      body: {
        username: 'longpass',
        email: 'l@example.test',
        password: 'ü'.repeat(36) + 'x',
        displayName: 'L',
      },
    },
    {
      name: 'a control character in a name',
      path: '/accounts',
      body: {
        username: 'ctrl_name',
        email: 'c@example.test',
        password: 'long enough',
        displayName: 'A\u0000B',
      },
    },
    {
      name: 'a username that is not one',
      path: '/accounts',
      body: { username: '../admin', email: 'u@example.test', password: 'long enough', displayName: 'U' },
    },
    {
      name: 'a phone that is not E.164',
      path: '/accounts',
      body: {
        username: 'phony',
        email: 'ph@example.test',
        password: 'long enough',
        displayName: 'P',
        phone: '555-1234',
      },
    },
    {
      name: 'an update operator as the profile',
      method: 'PATCH',
      path: '/users/me',
      body: { $set: { roles: ['admin'] } },
      auth: true,
    },
    {
      name: 'a role in a profile change',
      method: 'PATCH',
      path: '/users/me',
      body: { roles: ['admin'] },
      auth: true,
    },
    {
      name: 'an email in a profile change',
      method: 'PATCH',
      path: '/users/me',
      body: { email: 'me@evil.test' },
      auth: true,
    },
    {
      name: 'a body that is not JSON',
      path: '/sessions',
      body: '{"login": "x", ',
      contentType: 'application/json',
    },
    { name: 'a JSON array body', path: '/accounts', body: '[1,2,3]' },
    { name: 'a JSON string body', path: '/sessions', body: '"hello"' },
    {
      name: 'a form body',
      path: '/sessions',
      body: 'login=x&password=y',
      contentType: 'application/x-www-form-urlencoded',
    },
    { name: 'deep nesting', path: '/sessions', body: `${'['.repeat(3000)}${']'.repeat(3000)}` },
    {
      name: 'a body over the limit',
      path: '/accounts',
      body: JSON.stringify({ username: 'x'.repeat(40_000) }),
    },
    { name: 'an operator in the query', method: 'GET', path: '/users?q[$ne]=x', auth: true },
    { name: 'a repeated query parameter', method: 'GET', path: '/users?q=ab&q=cd', auth: true },
    { name: 'a path that is not an id', method: 'PUT', path: '/contacts/%7B%22%24ne%22%3A1%7D', auth: true },
    { name: 'a traversal as an id', method: 'DELETE', path: '/sessions/..%2F..%2Finternal', auth: true },
    { name: 'a contact change without a login', method: 'PUT', path: `/contacts/${victim.userId}` },
  );

  const before = await snapshot();
  for (const attack of attacks) {
    const raw = typeof attack.body === 'string';
    const headers: Record<string, string> = {};
    if (attack.body !== undefined) headers['content-type'] = attack.contentType ?? 'application/json';
    if (attack.auth) headers.authorization = `Bearer ${attacker.accessToken}`;
    const res = await fetch(`${gateway()}/api/v1${attack.path}`, {
      method: attack.method ?? 'POST',
      headers,
      body:
        attack.body === undefined ? undefined : raw ? (attack.body as string) : JSON.stringify(attack.body),
    });
    const text = await res.text();
    t.ok(res.status >= 400 && res.status < 500, `${attack.name}: ${res.status}`, {
      body: text.slice(0, 300),
    });
    t.match(
      res.headers.get('content-type'),
      /application\/problem\+json/,
      `${attack.name}: a problem document`,
    );
  }

  // Through the sidecars, as another service would call: the internal endpoints validate too.
  const chat = env.stack.ports.apps.chat.daprHttp;
  for (const body of [
    { userId: { $ne: null }, otherUserIds: [] },
    { userId: 'x', otherUserIds: { $in: ['a'] } },
    { userId: 'x' },
  ]) {
    const res = await fetch(`http://127.0.0.1:${chat}/v1.0/invoke/auth/method/internal/v1/relations/check`, {
      method: 'POST',
      headers: {
        'dapr-api-token': env.stack.secrets.apps.chat.daprApiToken,
        'content-type': 'application/json',
      },
      body: JSON.stringify(body),
    });
    t.equal(res.status, 400, `relations check refuses ${JSON.stringify(body)}`);
  }

  // Paths that would climb out of the service they name, once a URL parser resolves their dot
  // segments: into another service's internal routes, or into the gateway sidecar's own API. Sent
  // as raw bytes, since fetch would resolve them before they left.
  const climbs: { name: string; method: string; path: string; body?: string; auth?: boolean }[] = [
    {
      name: 'encoded dot segments to an operator route, granting a role',
      method: 'PUT',
      path: `/messages/${'%2e%2e/'.repeat(4)}auth/method/internal/v1/users/by-username/${attacker.username}/roles`,
      body: JSON.stringify({ roles: ['admin'] }),
    },
    {
      name: 'plain dot segments to an internal route',
      method: 'GET',
      path: `/conversations/../../internal/v1/users/${victim.userId}/conversations`,
    },
    {
      name: 'mixed-case encoded dots to the sidecar metadata',
      method: 'GET',
      path: '/messages/%2E%2e/%2e%2E/%2e%2e/%2e%2e/%2e%2e/metadata',
    },
    {
      name: 'encoded dots to the sidecar publish API',
      method: 'POST',
      path: '/messages/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/publish/pubsub/attack.test',
      body: '{}',
    },
    { name: 'a single dot segment', method: 'GET', path: '/users/./me', auth: true },
    { name: 'an encoded backslash', method: 'GET', path: '/users/..%5C..%5Cinternal', auth: true },
    { name: 'a tab in the path', method: 'GET', path: '/users/%09', auth: true },
    { name: 'a NUL in the path', method: 'GET', path: '/conversations/a%00b', auth: true },
    { name: 'a malformed escape', method: 'GET', path: '/conversations/%zz', auth: true },
  ];
  for (const climb of climbs) {
    const res = await rawRequest(env.stack.ports.apps.gateway.app, climb.method, `/api/v1${climb.path}`, {
      body: climb.body,
      token: climb.auth ? attacker.accessToken : undefined,
    });
    t.equal(res.status, 400, `${climb.name}: refused`, { body: res.body.slice(0, 300) });
    t.match(res.contentType, /application\/problem\+json/, `${climb.name}: a problem document`);
    t.equal((JSON.parse(res.body) as { code?: string }).code, 'PATH_INVALID', `${climb.name}: its code`);
  }

  // Other methods would pass the gateway's login and sign-up limits (set on POST) and reach the
  // service's POST handler through the sidecar.
  const login = JSON.stringify({ login: victim.username, password: victim.password });
  for (const [method, path, body] of [
    ['TRACE', '/conversations', undefined],
    ['PROPFIND', '/conversations', undefined],
    ['OPTIONS', '/conversations', undefined],
    ['PROPFIND', '/sessions', login],
    ['LOCK', '/accounts/password-reset-requests', JSON.stringify({ email: victim.email })],
    ['SEARCH', '/accounts', JSON.stringify({ username: 'by_search', email: 's@example.test' })],
  ] as const) {
    const res = await rawRequest(env.stack.ports.apps.gateway.app, method, `/api/v1${path}`, { body });
    t.equal(res.status, 405, `${method} ${path}: refused at the gateway`);
    t.equal((JSON.parse(res.body) as { code?: string }).code, 'METHOD_NOT_ALLOWED', `${method}: its code`);
  }

  // Bytes beyond ASCII in a passed-on header: the sidecars cannot carry them, so the gateway says
  // what is wrong instead of a 503 that blames the service.
  for (const [name, value, status, code] of [
    ['authorization', `Bearer ${attacker.accessToken}\u00e9`, 401, 'AUTH_TOKEN_INVALID'],
    ['authorization', 'Bearer abc\u00ff', 401, 'AUTH_TOKEN_INVALID'],
    ['accept', 'application/json\u00e9', 400, 'HEADER_INVALID'],
  ] as const) {
    const res = await rawRequest(env.stack.ports.apps.gateway.app, 'GET', '/api/v1/conversations', {
      headers: { [name]: value },
    });
    t.equal(res.status, status, `a Latin-1 byte in ${name}: ${status}`, { body: res.body.slice(0, 300) });
    t.equal((JSON.parse(res.body) as { code?: string }).code, code);
  }

  // The gateway's event routes are its sidecar's alone, however the path is spelled.
  for (const path of [
    '/Dapr/events/chat-message-created',
    '/DAPR/events/chat-member-added',
    '//dapr/events/session-revoked',
  ]) {
    const res = await rawRequest(env.stack.ports.apps.gateway.app, 'POST', path, {
      body: JSON.stringify({ id: 'forged', specversion: '1.0', data: {} }),
    });
    t.equal(res.status, 401, `${path}: needs the app token`);
  }
  const upper = await rawRequest(env.stack.ports.apps.gateway.app, 'POST', '/API/v1/sessions', {
    body: login,
  });
  t.equal(upper.status, 404, '/API/v1 is not the API');
  const encoded = await rawRequest(env.stack.ports.apps.gateway.app, 'POST', '/api/v1/session%73', {
    body: login,
  });
  t.equal(encoded.status, 404, 'nor is an encoded resource name');

  t.equal(await snapshot(), before, 'the auth database did not change');
  const relogin = await fetch(`${gateway()}/api/v1/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ login: victim.username, password: victim.password }),
  });
  t.equal(relogin.status, 201, 'the victim still logs in as before');

  // A service that is down is a dependency failure for the caller, not the sidecar's raw error.
  await env.stack.kill('chat');
  const listed = await fetch(`${gateway()}/api/v1/conversations`, {
    headers: { authorization: `Bearer ${attacker.accessToken}` },
  });
  t.equal(listed.status, 503, 'chat down: 503');
  t.match(listed.headers.get('content-type'), /application\/problem\+json/);
  t.match(await listed.json(), { code: 'DEPENDENCY_UNAVAILABLE', dependency: 'chat' });
  await env.stack.restart('chat');
});

/** One HTTP request with its path sent exactly as given, dot segments and escapes included. */
function rawRequest(
  port: number,
  method: string,
  path: string,
  options: { body?: string; token?: string; headers?: Record<string, string> },
): Promise<{ status: number; contentType: string; body: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'] ?? '', body }),
      );
    });
    req.on('error', reject);
    req.end(options.body);
  });
}
