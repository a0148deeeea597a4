import { principalOf } from '@parley/identity';
import { noQuery, parse, takesNoInput } from '@parley/service-kit';
import { type RequestHandler, Router } from 'express';
import { UserNotFoundError } from '../errors';
import type { AccountService } from './account-service';
import {
  accountDeletionSchema,
  emailVerificationSchema,
  passwordResetRequestSchema,
  passwordResetSchema,
  registrationSchema,
} from './account-schemas';
import { type UserStore, ownAccount } from './user-store';

/** `/v1/accounts`: registration, the own account, email verification, password reset, deletion. */
export function accountRoutes(accounts: AccountService, users: UserStore, auth: RequestHandler): Router {
  const router = Router();

  router.post('/v1/accounts', async (req, res) => {
    parse(noQuery, req.query, 'query');
    const input = parse(registrationSchema, req.body, 'body');
    const user = await accounts.register(input, String(req.id));
    res
      .status(201)
      .location(`/api/v1/users/${user._id}`)
      .json({ user: ownAccount(user) });
  });

  router.get('/v1/accounts/me', auth, takesNoInput(), async (req, res) => {
    const { userId } = principalOf(req);
    const user = await users.findById(userId);
    if (!user) throw new UserNotFoundError(userId);
    res.json({ user: ownAccount(user) });
  });

  router.delete('/v1/accounts/me', auth, async (req, res) => {
    parse(noQuery, req.query, 'query');
    const { password } = parse(accountDeletionSchema, req.body ?? {}, 'body');
    await accounts.delete(principalOf(req).userId, password);
    res.status(204).end();
  });

  router.post('/v1/accounts/me/email-verification-requests', auth, takesNoInput(), async (req, res) => {
    const { userId } = principalOf(req);
    const user = await users.findById(userId);
    if (!user) throw new UserNotFoundError(userId);
    await accounts.sendVerification(user, String(req.id));
    res.status(202).json({ emailVerified: user.emailVerified });
  });

  router.post('/v1/accounts/email-verification', async (req, res) => {
    parse(noQuery, req.query, 'query');
    const { token } = parse(emailVerificationSchema, req.body, 'body');
    await accounts.verifyEmail(token);
    res.status(204).end();
  });

  router.post('/v1/accounts/password-reset-requests', async (req, res) => {
    parse(noQuery, req.query, 'query');
    const { email } = parse(passwordResetRequestSchema, req.body, 'body');
    await accounts.requestPasswordReset(email, String(req.id));
    res.status(202).json({ status: 'If an account uses that address, a reset link is on its way.' });
  });

  router.post('/v1/accounts/password-reset', async (req, res) => {
    parse(noQuery, req.query, 'query');
    const { token, password } = parse(passwordResetSchema, req.body, 'body');
    await accounts.resetPassword(token, password);
    res.status(204).end();
  });

  return router;
}
