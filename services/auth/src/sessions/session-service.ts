import type { Logger } from '@parley/service-kit';
import type { PasswordHasher } from '../accounts/passwords';
import type { UserDoc, UserStore } from '../accounts/user-store';
import { InvalidCredentialsError, RefreshTokenInvalidError } from '../errors';
import type { AccessTokenIssuer } from './access-tokens';
import type { SessionDoc, SessionStore } from './session-store';

export interface IssuedSession {
  accessToken: string;
  refreshToken: string;
  /** Seconds until the access token expires. */
  expiresIn: number;
  sessionId: string;
}

/** Opening sessions (password or provider login) and refreshing them. */
export class SessionService {
  constructor(
    private readonly users: UserStore,
    private readonly sessions: SessionStore,
    private readonly tokens: AccessTokenIssuer,
    private readonly hasher: PasswordHasher,
    private readonly logger: Logger,
  ) {}

  /**
   * Checks a login and password. Login works before the email is verified; what an unverified
   * account may do is for each feature to decide. Unknown logins and wrong passwords fail alike.
   */
  async loginWithPassword(
    login: string,
    password: string,
    deviceName: string | null,
    requestId?: string,
  ): Promise<{ user: UserDoc; session: IssuedSession }> {
    const user = await this.users.findByLogin(login);
    const ok = await this.hasher.verify(password, user?.passwordHash);
    if (!user || !ok) throw new InvalidCredentialsError();
    return { user, session: await this.open(user, deviceName, 'password', requestId) };
  }

  /**
   * Opens a session and issues its tokens. The same request again (`requestId`) gets the session
   * its first try opened, with fresh tokens: see `SessionStore.open`.
   */
  async open(
    user: UserDoc,
    deviceName: string | null,
    method: SessionDoc['method'],
    requestId?: string,
  ): Promise<IssuedSession> {
    const { session, refreshToken } = await this.sessions.open(user._id, deviceName, method, requestId);
    // An account deleted while this login ran: its deletion may have ended the user's sessions
    // before this one was stored. The account deletion ends sessions again once the account is
    // gone, and whichever comes second sees the other, so no session outlives the account.
    if (!(await this.users.findById(user._id))) {
      await this.sessions.revoke(session._id, 'account-deleted');
      throw new InvalidCredentialsError();
    }
    this.logger.info({ userId: user._id, sessionId: session._id, method }, 'session opened');
    const access = await this.tokens.issue({ userId: user._id, sessionId: session._id, roles: user.roles });
    return { ...access, refreshToken, sessionId: session._id };
  }

  async refresh(refreshToken: string): Promise<IssuedSession> {
    const rotation = await this.sessions.rotate(refreshToken);
    const user = await this.users.findById(rotation.session.userId);
    if (!user) throw new RefreshTokenInvalidError();
    const access = await this.tokens.issue({
      userId: user._id,
      sessionId: rotation.session._id,
      roles: user.roles,
    });
    return { ...access, refreshToken: rotation.refreshToken, sessionId: rotation.session._id };
  }
}
