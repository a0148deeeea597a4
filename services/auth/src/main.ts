import { Topics } from '@parley/contracts';
import { createVerifierWithKeys } from '@parley/identity';
import { PublishOutbox, connectMongo, mountProbe, runService } from '@parley/service-kit';
import { AccountService } from './accounts/account-service';
import { accountRoutes } from './accounts/account-routes';
import { LinkTokens } from './accounts/link-tokens';
import { PasswordHasher } from './accounts/passwords';
import { UserEvents } from './accounts/user-events';
import { UserStore } from './accounts/user-store';
import { authenticate } from './authenticate';
import { type AuthConfig, authConfigSchema } from './config';
import { blockChanges } from './contacts/block-events';
import { ContactStore } from './contacts/contact-store';
import { contactRoutes } from './contacts/contact-routes';
import { EmailClient } from './email/email-client';
import { internalRoutes } from './internal/internal-routes';
import { operatorRoutes } from './internal/operator-routes';
import { OidcFlows } from './oidc/oidc-flows';
import { OidcIdentities } from './oidc/oidc-identities';
import { OidcLogin, type OidcLoginDeps } from './oidc/oidc-login';
import { OidcProviderClient } from './oidc/oidc-provider-client';
import { oidcRoutes } from './oidc/oidc-routes';
import { profileRoutes } from './profiles/profile-routes';
import { startExpirySweep } from './sessions/expiry-sweep';
import { AccessTokenIssuer } from './sessions/access-tokens';
import { AVATAR_TOPICS, mountAvatarEvents } from './profiles/avatar-events';
import { SessionService } from './sessions/session-service';
import { SessionStore } from './sessions/session-store';
import { sessionRoutes } from './sessions/session-routes';
import { KeyEncryption } from './sessions/key-encryption';
import { sessionRevocations } from './sessions/session-events';
import { SigningKeys } from './sessions/signing-keys';

/** The auth service: accounts, passwords, tokens, OIDC login, profiles and contacts. */
void runService({
  name: 'auth',
  configSchema: authConfigSchema,
  topics: [Topics.platformProbe, ...AVATAR_TOPICS],
  // Account bodies are small; anything larger is refused before it is parsed.
  bodyLimit: '16kb',
  async build({ config, app, sidecar, logger }) {
    const mongo = await connectMongo(config.MONGODB_URL, 'parley_auth', {
      commandStatsDir: config.MONGO_COMMAND_STATS_DIR,
      logger: logger.child({ component: 'mongodb' }),
    });
    const db = mongo.db;
    const users = new UserStore(db);
    // Revocations and block changes announced while the broker is away are kept and published once it is back.
    const outbox = new PublishOutbox(db, sidecar, logger.child({ component: 'publish-outbox' }));
    await outbox.init();
    outbox.start();
    const sessions = new SessionStore(db, config.REFRESH_TOKEN_TTL, sessionRevocations(outbox, logger));
    const links = new LinkTokens(db);
    const contacts = new ContactStore(db, blockChanges(outbox, logger));
    const identities = new OidcIdentities(db);
    const flows = new OidcFlows(db);
    for (const store of [users, sessions, links, contacts, identities, flows]) await store.ensureIndexes();

    const keys = new SigningKeys(db, {
      rotationSeconds: config.SIGNING_KEY_ROTATION,
      prepublishSeconds: config.SIGNING_KEY_PREPUBLISH,
      accessTokenTtlSeconds: config.ACCESS_TOKEN_TTL,
      encryption: new KeyEncryption(
        config.SIGNING_KEY_ENCRYPTION_KEY,
        config.SIGNING_KEY_ENCRYPTION_PREVIOUS_KEYS,
      ),
      logger: logger.child({ component: 'signing-keys' }),
    });
    await keys.start();

    const hasher = new PasswordHasher(config.BCRYPT_COST);
    const events = new UserEvents(sidecar, logger, db, (userId) => users.findById(userId));
    await events.ensureIndexes();
    const stopRelay = events.startRelay();
    const stopSweep = startExpirySweep(sessions, logger.child({ component: 'session-expiry' }));
    const email = new EmailClient(sidecar, logger);
    const issuer = new AccessTokenIssuer(keys, config.ACCESS_TOKEN_TTL);
    const sessionService = new SessionService(users, sessions, issuer, hasher, logger);
    const accounts = new AccountService({
      users,
      sessions,
      links,
      contacts,
      identities,
      hasher,
      events,
      email,
      logger,
      publicUrl: config.PUBLIC_URL,
      verificationTtlSeconds: config.EMAIL_VERIFICATION_TTL,
      resetTtlSeconds: config.PASSWORD_RESET_TTL,
    });
    const oidc = oidcLogin(config, { flows, identities, users, sessions, events, logger });
    const auth = authenticate(createVerifierWithKeys(keys.resolver()), sessions);

    mountProbe(app, 'auth', sidecar);
    app.use(internalRoutes(users, contacts, keys, sessions));
    app.use(operatorRoutes(users));
    app.use(accountRoutes(accounts, users, auth));
    app.use(
      oidcRoutes(oidc, sessionService, { secureCookie: new URL(config.PUBLIC_URL).protocol === 'https:' }),
    );
    app.use(sessionRoutes(sessionService, sessions, auth));
    app.use(profileRoutes(users, events, sidecar, auth));
    mountAvatarEvents(app, users, events);
    app.use(contactRoutes(contacts, users, auth));
    return {
      checks: [mongo.check],
      close: async () => {
        stopRelay();
        stopSweep();
        await outbox.stop();
        await email.close();
        await mongo.close();
      },
    };
  },
});

/** Third-party login, when a provider is configured (issuer, client id and secret all set). */
function oidcLogin(config: AuthConfig, deps: Omit<OidcLoginDeps, 'provider'>): OidcLogin | undefined {
  const { OIDC_ISSUER: issuer, OIDC_CLIENT_ID: clientId, OIDC_CLIENT_SECRET: clientSecret } = config;
  if (!issuer || !clientId || !clientSecret) return undefined;
  const provider = new OidcProviderClient({
    issuer,
    clientId,
    clientSecret,
    scopes: config.OIDC_SCOPES,
    redirectUri: config.OIDC_REDIRECT_URI ?? new URL('/oidc/callback', config.PUBLIC_URL).toString(),
    allowInsecure: config.OIDC_ALLOW_INSECURE === 'true',
  });
  return new OidcLogin({ ...deps, provider });
}
