import { principalOf } from '@parley/identity';
import { noQuery, parse, takesNoInput } from '@parley/service-kit';
import { type RequestHandler, Router } from 'express';
import { z } from 'zod';
import { loginSchema } from '../accounts/account-schemas';
import { publicUser } from '../accounts/user-store';
import type { SessionService } from './session-service';
import type { SessionStore } from './session-store';

const refreshSchema = z
  .object({ refreshToken: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'is not a refresh token') })
  .strict();

const sessionParams = z.object({ sessionId: z.uuid() }).strict();

/** `/v1/sessions`: login, refresh, the user's devices, logout. */
export function sessionRoutes(service: SessionService, store: SessionStore, auth: RequestHandler): Router {
  const router = Router();

  router.post('/v1/sessions', async (req, res) => {
    parse(noQuery, req.query, 'query');
    const { login, password, deviceName } = parse(loginSchema, req.body, 'body');
    const { user, session } = await service.loginWithPassword(
      login,
      password,
      deviceName ?? null,
      String(req.id),
    );
    res.status(201).json({ ...session, user: publicUser(user) });
  });

  router.post('/v1/sessions/refresh', async (req, res) => {
    parse(noQuery, req.query, 'query');
    const { refreshToken } = parse(refreshSchema, req.body, 'body');
    res.json(await service.refresh(refreshToken));
  });

  router.get('/v1/sessions', auth, takesNoInput(), async (req, res) => {
    const principal = principalOf(req);
    const sessions = await store.listActive(principal.userId);
    res.json({
      sessions: sessions.map((s) => ({
        id: s._id,
        deviceName: s.deviceName,
        method: s.method,
        createdAt: s.createdAt.toISOString(),
        lastUsedAt: s.lastUsedAt.toISOString(),
        current: s._id === principal.sessionId,
      })),
    });
  });

  router.delete('/v1/sessions/current', auth, takesNoInput(), async (req, res) => {
    const { userId, sessionId } = principalOf(req);
    await store.revokeOwn(userId, sessionId);
    res.status(204).end();
  });

  router.delete('/v1/sessions/:sessionId', auth, takesNoInput(), async (req, res) => {
    const { sessionId } = parse(sessionParams, req.params, 'params');
    await store.revokeOwn(principalOf(req).userId, sessionId);
    res.status(204).end();
  });

  return router;
}
