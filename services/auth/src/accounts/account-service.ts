import type { Logger } from '@parley/service-kit';
import type { ContactStore } from '../contacts/contact-store';
import type { EmailClient } from '../email/email-client';
import { passwordResetEmail, verificationEmail } from '../email/templates';
import { InvalidCredentialsError, PasswordConfirmationRequiredError, UserNotFoundError } from '../errors';
import type { OidcIdentities } from '../oidc/oidc-identities';
import { type SessionStore, hashToken } from '../sessions/session-store';
import type { Registration } from './account-schemas';
import type { LinkPurpose, LinkTokens } from './link-tokens';
import type { PasswordHasher } from './passwords';
import type { UserEvents } from './user-events';
import type { UserDoc, UserStore } from './user-store';

export interface AccountServiceDeps {
  users: UserStore;
  sessions: SessionStore;
  links: LinkTokens;
  contacts: ContactStore;
  identities: OidcIdentities;
  hasher: PasswordHasher;
  events: UserEvents;
  email: EmailClient;
  logger: Logger;
  publicUrl: string;
  verificationTtlSeconds: number;
  resetTtlSeconds: number;
}

/** How long after a registration the same request is known again (sidecars retry for seconds). */
const REPEATED_REGISTRATION_MS = 10 * 60 * 1000;

/**
 * The key the notification service sends an email under once. With a request id it names the
 * request (its caller, the address and the purpose too), so a repeat of the request (a sidecar's
 * retry, a client's) hands over the same key and no second email goes out. The repeat's own link
 * is then never sent, and the one that went out still works: a new link replaces no earlier one.
 * Without a request id, each link is its own email.
 */
function emailKey(purpose: LinkPurpose, user: UserDoc, token: string, requestId?: string): string {
  if (!requestId) return `${purpose}-${hashToken(token)}`;
  return `${purpose}-${hashToken(`${user._id}\n${user.email}\n${requestId}`)}`;
}

/** Registration, email verification, password reset and deletion of accounts. */
export class AccountService {
  constructor(private readonly deps: AccountServiceDeps) {}

  /**
   * Registers an account. `requestId` names the request: the same request again (a sidecar
   * retrying a call whose first try stored the account but never answered) gets that account,
   * and the steps after storing it are done again, rather than a 409 for the caller's own names.
   */
  async register(input: Registration, requestId?: string): Promise<UserDoc> {
    const earlier = requestId ? await this.sameRegistration(input, requestId) : null;
    if (earlier) {
      this.deps.logger.info(
        { userId: earlier._id },
        'registration repeated; answering the account it stored',
      );
      await this.deps.events.registered(earlier);
      await this.sendVerification(earlier, requestId);
      return earlier;
    }
    const user = await this.deps.users.create({
      registeredBy: requestId ?? null,
      username: input.username,
      email: input.email,
      emailVerified: false,
      displayName: input.displayName,
      phone: input.phone ?? null,
      passwordHash: await this.deps.hasher.hash(input.password),
    });
    this.deps.logger.info({ userId: user._id }, 'account registered');
    await this.deps.events.registered(user);
    await this.sendVerification(user, requestId);
    return user;
  }

  /**
   * The account this very request stored before, if any: the same request id, names and password,
   * within minutes. Request ids come from the client too, so the password must match as well.
   */
  private async sameRegistration(input: Registration, requestId: string): Promise<UserDoc | null> {
    const user = await this.deps.users.findByLogin(input.username);
    if (!user || user.registeredBy !== requestId || user.email !== input.email) return null;
    if (Date.now() - user.createdAt.getTime() > REPEATED_REGISTRATION_MS) return null;
    return (await this.deps.hasher.verify(input.password, user.passwordHash)) ? user : null;
  }

  /**
   * Sends a fresh verification link; earlier ones stay valid until they expire. The same request
   * again (`requestId`) sends no second email: see `emailKey`.
   */
  async sendVerification(user: UserDoc, requestId?: string): Promise<void> {
    if (user.emailVerified) return;
    const token = await this.deps.links.issue(
      'verify-email',
      user._id,
      user.email,
      this.deps.verificationTtlSeconds,
    );
    await this.deps.email.send(
      verificationEmail(this.deps.publicUrl, user, token, emailKey('verify-email', user, token, requestId)),
    );
  }

  async verifyEmail(token: string): Promise<void> {
    const { userId, email } = await this.deps.links.consume('verify-email', token);
    if (!(await this.deps.users.markEmailVerified(userId, email))) return;
    if (await this.dropUnverifiedLinks(userId)) {
      await this.deps.sessions.revokeAll(userId, 'unverified-provider-link-removed', 'oidc');
    }
  }

  /**
   * Someone has just proved they read the account's inbox. A provider link made from an address
   * the provider never verified may be a stranger's claim of that address (earlier versions made
   * such links), and would let that stranger log into the owner's account: it goes. Answers
   * whether any went; the caller ends the sessions such a link could have opened.
   */
  private async dropUnverifiedLinks(userId: string): Promise<boolean> {
    const removed = await this.deps.identities.deleteUnverified(userId);
    if (removed === 0) return false;
    this.deps.logger.info({ userId, removed }, 'provider links made from an unverified email removed');
    return true;
  }

  /**
   * Sends a reset link if the address belongs to an account. The caller learns nothing either way,
   * so the endpoint cannot be used to find out who has an account.
   */
  async requestPasswordReset(email: string, requestId?: string): Promise<void> {
    const user = await this.deps.users.findByEmail(email);
    if (!user) return;
    const token = await this.deps.links.issue(
      'reset-password',
      user._id,
      user.email,
      this.deps.resetTtlSeconds,
    );
    await this.deps.email.send(
      passwordResetEmail(
        this.deps.publicUrl,
        user,
        token,
        emailKey('reset-password', user, token, requestId),
      ),
    );
  }

  /** Sets the new password and revokes every session and every other reset link of the account. */
  async resetPassword(token: string, password: string): Promise<void> {
    const { userId, email } = await this.deps.links.consume('reset-password', token);
    const user = await this.deps.users.findById(userId);
    if (!user) throw new UserNotFoundError(userId);
    await this.deps.users.setPassword(userId, await this.deps.hasher.hash(password));
    // The link reached the inbox, which proves the address as well as a verification link would.
    // Unverified provider links go before the sessions do, so none opened through one outlives
    // the reset.
    if (user.email === email) {
      await this.deps.users.markEmailVerified(userId, email);
      await this.dropUnverifiedLinks(userId);
    }
    await this.deps.links.revokeAll(userId, 'reset-password');
    await this.deps.sessions.revokeAll(userId, 'password-reset');
    this.deps.logger.info({ userId }, 'password reset, sessions revoked');
  }

  /**
   * Deletes the account and the personal data tied to it: profile, sessions, links, contacts and
   * provider links. A password account must confirm with its password.
   */
  async delete(userId: string, password: string | undefined): Promise<void> {
    const user = await this.deps.users.findById(userId);
    if (!user) throw new UserNotFoundError(userId);
    if (user.passwordHash !== null) {
      if (password === undefined) throw new PasswordConfirmationRequiredError();
      if (!(await this.deps.hasher.verify(password, user.passwordHash))) throw new InvalidCredentialsError();
    }
    await this.deps.sessions.deleteAll(userId);
    await this.deps.links.deleteAll(userId);
    await this.deps.contacts.deleteAll(userId);
    await this.deps.identities.deleteAll(userId);
    await this.deps.users.delete(userId);
    // Once more now that the account is gone: a login that found the account before may have
    // stored its session after the first pass (see SessionService.open).
    await this.deps.sessions.deleteAll(userId);
    this.deps.logger.info({ userId }, 'account deleted');
    await this.deps.events.deleted(userId);
  }
}
