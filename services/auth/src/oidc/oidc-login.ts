import { createHash, randomBytes } from 'node:crypto';
import { AppError, type Logger } from '@parley/service-kit';
import * as openid from 'openid-client';
import { displayNameSchema, emailSchema } from '../accounts/account-schemas';
import type { UserEvents } from '../accounts/user-events';
import type { UserDoc, UserStore } from '../accounts/user-store';
import { OidcEmailUnverifiedError, OidcFailedError, UsernameTakenError } from '../errors';
import type { SessionStore } from '../sessions/session-store';
import type { OidcFlows } from './oidc-flows';
import type { OidcIdentities } from './oidc-identities';
import type { OidcProviderClient } from './oidc-provider-client';

export interface OidcLoginDeps {
  provider: OidcProviderClient;
  flows: OidcFlows;
  identities: OidcIdentities;
  users: UserStore;
  sessions: SessionStore;
  events: UserEvents;
  logger: Logger;
}

/** The claims of the ID token this service relies on. */
interface ProviderClaims {
  sub: string;
  email?: unknown;
  email_verified?: unknown;
  name?: unknown;
  preferred_username?: unknown;
}

export interface ResolvedLogin {
  user: UserDoc;
  deviceName: string | null;
  /** The account was created by this login. */
  created: boolean;
  /** An existing account was linked to the provider by this login. */
  linked: boolean;
}

/**
 * Login through an OpenID Connect provider: authorization code with PKCE, with state and nonce
 * checked and each flow usable once. The provider account maps to a Parley account by its
 * (issuer, subject) link. A first login needs an email the provider verified: it links to the
 * account that has the address, and otherwise a new account is created. An unverified address is
 * refused, so that a claim anyone can make at their own provider never holds or enters an account.
 */
export class OidcLogin {
  constructor(private readonly deps: OidcLoginDeps) {}

  /**
   * Starts a login: remembers the checks and answers where to send the browser, and the secret the
   * browser must keep (in a cookie) and present at the callback.
   */
  async start(deviceName: string | null): Promise<{ url: URL; browserSecret: string }> {
    const config = await this.deps.provider.config();
    const state = openid.randomState();
    const nonce = openid.randomNonce();
    const codeVerifier = openid.randomPKCECodeVerifier();
    const browserSecret = randomBytes(32).toString('base64url');
    await this.deps.flows.save({
      _id: state,
      nonce,
      codeVerifier,
      deviceName,
      browserBinding: bindingOf(browserSecret),
    });
    const { redirectUri, scopes } = this.deps.provider.settings;
    const url = openid.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: scopes,
      response_type: 'code',
      state,
      nonce,
      code_challenge: await openid.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
    });
    return { url, browserSecret };
  }

  /**
   * Completes a login from the provider's redirect, whose query string is `query`, in the browser
   * that started it: `browserSecret` is what `start` gave that browser, or undefined.
   */
  async complete(query: string, browserSecret: string | undefined): Promise<ResolvedLogin> {
    const params = new URLSearchParams(query);
    const state = params.get('state');
    if (!state) throw new OidcFailedError('the provider sent no state');
    if (!browserSecret) {
      throw new OidcFailedError('this browser did not start the login (its login cookie is missing)');
    }
    const flow = await this.deps.flows.take(state, bindingOf(browserSecret));
    if (!flow) {
      throw new OidcFailedError(
        'this login was not started here or in this browser, has expired or was already completed',
      );
    }
    const config = await this.deps.provider.config();
    const currentUrl = new URL(this.deps.provider.settings.redirectUri);
    currentUrl.search = params.toString();
    let claims: ProviderClaims;
    try {
      const tokens = await openid.authorizationCodeGrant(config, currentUrl, {
        pkceCodeVerifier: flow.codeVerifier,
        expectedState: flow._id,
        expectedNonce: flow.nonce,
        idTokenExpected: true,
      });
      const idClaims = tokens.claims();
      if (!idClaims) throw new OidcFailedError('the provider sent no ID token');
      claims = idClaims as ProviderClaims;
    } catch (err) {
      if (err instanceof AppError) throw err;
      this.deps.logger.info({ err }, 'oidc code exchange refused');
      throw new OidcFailedError('the provider did not confirm the login', { cause: err });
    }
    return { ...(await this.resolve(config.serverMetadata().issuer, claims)), deviceName: flow.deviceName };
  }

  private async resolve(issuer: string, claims: ProviderClaims): Promise<Omit<ResolvedLogin, 'deviceName'>> {
    const { identities, users, sessions, events, logger } = this.deps;
    const linkedId = await identities.find(issuer, claims.sub);
    if (linkedId) {
      const user = await users.findById(linkedId);
      if (user) return { user, created: false, linked: false };
    }

    const email = emailSchema.safeParse(claims.email);
    if (!email.success) throw new OidcFailedError('the provider shared no usable email address');
    // Checked before the address is looked up: an unverified claim creates nothing, links to
    // nothing, and is answered alike whether or not an account has the address.
    if (claims.email_verified !== true) throw new OidcEmailUnverifiedError();
    const existing = await users.findByEmail(email.data);
    if (existing) {
      if (!existing.emailVerified) {
        // Whoever registered the address never proved it: they may not be its owner. The owner
        // has now proved it, so the unproved password and every session opened with it go.
        await users.clearPassword(existing._id);
        await sessions.revokeAll(existing._id, 'oidc-took-over-unverified-account');
        await users.markEmailVerified(existing._id, existing.email);
      }
      await identities.link(issuer, claims.sub, existing._id);
      logger.info({ userId: existing._id }, 'provider account linked by verified email');
      const user = (await users.findById(existing._id)) ?? existing;
      return { user, created: false, linked: true };
    }

    const user = await this.createAccount(email.data, claims);
    await identities.link(issuer, claims.sub, user._id);
    logger.info({ userId: user._id }, 'account created by provider login');
    await events.registered(user);
    return { user, created: true, linked: false };
  }

  /** A new account named after the provider's username or the email's local part, made unique. */
  private async createAccount(email: string, claims: ProviderClaims): Promise<UserDoc> {
    const hint =
      typeof claims.preferred_username === 'string' ? claims.preferred_username : email.split('@')[0];
    const base = (hint ?? 'user')
      .toLowerCase()
      .replace(/[^a-z0-9_.]/g, '')
      .slice(0, 24)
      .padEnd(3, '_');
    const name = displayNameSchema.safeParse(claims.name);
    for (let attempt = 0; attempt < 5; attempt++) {
      const username = attempt === 0 ? base : `${base}_${openid.randomState().slice(0, 6).toLowerCase()}`;
      try {
        return await this.deps.users.create({
          username: username.replace(/[^a-z0-9_.]/g, '_'),
          email,
          emailVerified: true,
          displayName: name.success ? name.data : username,
          passwordHash: null,
        });
      } catch (err) {
        if (!(err instanceof UsernameTakenError)) throw err;
      }
    }
    throw new OidcFailedError('no free username could be found');
  }
}

/** What the flow keeps of a browser's secret: its hash, so the database alone cannot complete a login. */
function bindingOf(browserSecret: string): string {
  return createHash('sha256').update(browserSecret).digest('base64url');
}
