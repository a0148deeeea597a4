import { AppError } from '@parley/service-kit';

/**
 * The auth service's domain errors. Each code is stable and documented in the service README;
 * clients branch on the code, never on the message.
 */
export class UsernameTakenError extends AppError {
  constructor() {
    super('ACCOUNT_USERNAME_TAKEN', 409, 'That username is already taken.');
  }
}

export class EmailTakenError extends AppError {
  constructor() {
    super('ACCOUNT_EMAIL_TAKEN', 409, 'An account with that email address already exists.');
  }
}

export class InvalidCredentialsError extends AppError {
  constructor() {
    super('AUTH_INVALID_CREDENTIALS', 401, 'The login or password is wrong.');
  }
}

export class RefreshTokenInvalidError extends AppError {
  constructor() {
    super('AUTH_REFRESH_TOKEN_INVALID', 401, 'The refresh token is not valid; log in again.');
  }
}

export class RefreshTokenReusedError extends AppError {
  constructor(sessionId: string) {
    super(
      'AUTH_REFRESH_TOKEN_REUSED',
      401,
      'This refresh token was already used; the session has been revoked. Log in again.',
      { sessionId },
    );
  }
}

export class SessionNotFoundError extends AppError {
  constructor(sessionId: string) {
    super('SESSION_NOT_FOUND', 404, 'No such session.', { sessionId });
  }
}

export class SessionRevokedError extends AppError {
  constructor() {
    super('AUTH_SESSION_REVOKED', 401, 'This session has been revoked; log in again.');
  }
}

export class UserNotFoundError extends AppError {
  constructor(userId: string) {
    super('USER_NOT_FOUND', 404, 'No such user.', { userId });
  }
}

export class LinkInvalidError extends AppError {
  constructor() {
    super('AUTH_LINK_INVALID', 400, 'This link is invalid, expired or already used.');
  }
}

export class ContactSelfError extends AppError {
  constructor() {
    super('CONTACT_SELF', 400, 'You cannot add or block yourself.');
  }
}

export class OidcNotConfiguredError extends AppError {
  constructor() {
    super('OIDC_NOT_CONFIGURED', 404, 'Third-party login is not configured.');
  }
}

export class OidcFailedError extends AppError {
  constructor(reason: string, options?: { cause?: unknown }) {
    super('OIDC_LOGIN_FAILED', 400, `Third-party login failed: ${reason}.`, {}, options);
  }
}

/**
 * The provider shared an email address it has not verified. Anyone can claim any address at a
 * provider they control, so such a login neither creates an account nor links to one, and it is
 * refused the same whether or not an account has the address.
 */
export class OidcEmailUnverifiedError extends AppError {
  constructor() {
    super(
      'OIDC_EMAIL_UNVERIFIED',
      409,
      'The provider has not verified your email address; verify it there, then log in again.',
    );
  }
}

export class PasswordConfirmationRequiredError extends AppError {
  constructor() {
    super('AUTH_PASSWORD_CONFIRMATION_REQUIRED', 403, 'Confirm this action with your password.');
  }
}
