import { randomBytes } from 'node:crypto';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { freePortPlan } from '@parley/devstack';
import type { Test } from 'tap';
import { type TestStack, startTestStack } from './stack';

/** What the provider says about one of its users. */
export interface ProviderAccount {
  email?: string;
  email_verified?: boolean;
  name?: string;
  preferred_username?: string;
}

export interface TestProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** The provider's users, by subject; a login at the provider names the subject. */
  accounts: Map<string, ProviderAccount>;
  /** Registers the client once the redirect URI (which needs the gateway's port) is known. */
  configure(redirectUri: string): Promise<void>;
}

/**
 * A real OpenID Connect provider (oidc-provider) on a loopback port, with its development login
 * and consent pages. The server listens first, so the stack can be told the issuer; the provider
 * itself is built once the gateway's callback address is known.
 */
export async function startTestProvider(t: Test): Promise<TestProvider> {
  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const server: Server = createServer((req, res) => {
    if (handler) handler(req, res);
    else res.writeHead(503).end('provider not configured yet');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const accounts = new Map<string, ProviderAccount>();
  const clientId = 'parley-test';
  const clientSecret = randomBytes(24).toString('base64url');

  return {
    issuer,
    clientId,
    clientSecret,
    accounts,
    async configure(redirectUri) {
      // oidc-provider ships no types; this is the little of it the test uses.
      const { default: Provider } = (await import('oidc-provider' as string)) as { default: ProviderClass };
      const provider = new Provider(issuer, {
        clients: [
          {
            client_id: clientId,
            client_secret: clientSecret,
            redirect_uris: [redirectUri],
            grant_types: ['authorization_code'],
            response_types: ['code'],
            token_endpoint_auth_method: 'client_secret_post',
          },
        ],
        // Email and name go in the ID token itself, which is what the auth service reads.
        conformIdTokenClaims: false,
        claims: {
          openid: ['sub'],
          email: ['email', 'email_verified'],
          profile: ['name', 'preferred_username'],
        },
        pkce: { required: () => true },
        cookies: { keys: [randomBytes(16).toString('hex')] },
        findAccount: (_ctx: unknown, sub: string) => {
          const account = accounts.get(sub);
          if (!account) return undefined;
          return { accountId: sub, claims: () => ({ sub, ...account }) };
        },
      });
      handler = provider.callback();
    },
  };
}

type ProviderClass = new (
  issuer: string,
  configuration: Record<string, unknown>,
) => { callback(): (req: IncomingMessage, res: ServerResponse) => void };

/** A tiny cookie jar for one origin: enough for the provider's interaction cookies. */
class CookieJar {
  private readonly cookies = new Map<string, string>();

  store(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair?.indexOf('=') ?? -1;
      if (pair && eq > 0) this.cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
  }

  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

/**
 * Plays the browser from the gateway's `authorize` address to the provider's redirect back:
 * follows redirects, fills in the provider's login form as `subject` and accepts its consent
 * page. Answers the callback address the provider redirected to, without opening it, and the
 * cookies the gateway set in this browser (to send with the callback).
 */
export async function authorizeAtProvider(
  authorizeUrl: string,
  issuer: string,
  subject: string,
): Promise<{ url: string; cookie: string }> {
  const jar = new CookieJar();
  const gatewayJar = new CookieJar();
  const providerOrigin = new URL(issuer).origin;
  let url = new URL(authorizeUrl);
  let init: { method: string; body?: URLSearchParams } = { method: 'GET' };
  for (let step = 0; step < 20; step++) {
    if (url.origin !== providerOrigin && step > 0)
      return { url: url.toString(), cookie: gatewayJar.header() };
    const headers: Record<string, string> = {};
    if (url.origin === providerOrigin) headers.cookie = jar.header();
    const res = await fetch(url, { ...init, headers, redirect: 'manual' });
    (url.origin === providerOrigin ? jar : gatewayJar).store(res);
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      url = new URL(location, url);
      init = { method: 'GET' };
      continue;
    }
    const html = await res.text();
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
    const prompt = /name="prompt" value="(\w+)"/.exec(html)?.[1];
    if (res.status !== 200 || !action || !prompt) {
      throw new Error(`unexpected page at ${url} (${res.status}): ${html.slice(0, 500)}`);
    }
    const form = new URLSearchParams({ prompt });
    if (prompt === 'login') {
      form.set('login', subject);
      form.set('password', 'anything');
    }
    url = new URL(action.replaceAll('&amp;', '&'), url);
    init = { method: 'POST', body: form };
  }
  throw new Error('too many steps at the provider');
}

/**
 * A test stack whose auth logs in through `provider`, and the gateway's origin. The provider sends
 * the browser back to the web client's page, or with `callback: 'api'` to the API's callback,
 * which then answers the client itself (as for an API client).
 */
export async function startOidcStack(
  t: Test,
  provider: TestProvider,
  callback: 'web' | 'api' = 'web',
): Promise<{ test: TestStack; gateway: string }> {
  const ports = await freePortPlan(1);
  const gateway = `http://127.0.0.1:${ports.apps.gateway.app}`;
  const apiCallback = `${gateway}/api/v1/sessions/oidc/callback`;
  const test = await startTestStack(t, {
    ports,
    env: {
      ...(callback === 'api' ? { OIDC_REDIRECT_URI: apiCallback } : {}),
      BCRYPT_COST: '4',
      OIDC_ISSUER: provider.issuer,
      OIDC_CLIENT_ID: provider.clientId,
      OIDC_CLIENT_SECRET: provider.clientSecret,
      OIDC_ALLOW_INSECURE: 'true',
    },
  });
  await provider.configure(callback === 'api' ? apiCallback : `${gateway}/oidc/callback`);
  return { test, gateway };
}
