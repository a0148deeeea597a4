import { parse } from '@parley/service-kit';
import express, { Router } from 'express';
import { z } from 'zod';
import type { DeliveryStore } from '../delivery/store';
import { escapeHtml } from '../delivery/planner';
import { UnsubscribeLinkInvalidError } from '../errors';
import { updatePreferences } from '../preferences/preference-store';
import { verifyUnsubscribeToken } from './links';

const tokenQuery = z.object({ token: z.string().min(10).max(512) }).strict();

/**
 * `/v1/notifications/unsubscribe?token=`: the List-Unsubscribe link of every digest. `GET` (a
 * person following the link) only shows a confirmation button, so link scanners change nothing;
 * `POST` (that button, or a mail client's one-click unsubscribe, RFC 8058) turns email off.
 */
export function unsubscribeRoutes(store: DeliveryStore, secret: string): Router {
  const router = Router();
  const path = '/v1/notifications/unsubscribe';

  router.get(path, (req, res) => {
    const { token } = parse(tokenQuery, req.query, 'query');
    if (!verifyUnsubscribeToken(secret, token)) throw new UnsubscribeLinkInvalidError();
    res
      .type('html')
      .send(
        `<!doctype html><title>Unsubscribe</title><form method="post" action="?token=${escapeHtml(
          encodeURIComponent(token),
        )}"><p>Stop email notifications from Parley?</p><button>Unsubscribe</button></form>`,
      );
  });

  router.post(path, express.urlencoded({ extended: false, limit: '2kb' }), async (req, res) => {
    const { token } = parse(tokenQuery, req.query, 'query');
    const claim = verifyUnsubscribeToken(secret, token);
    if (!claim) throw new UnsubscribeLinkInvalidError();
    await updatePreferences(store, claim.userId, { channels: { email: false } });
    req.log.info({ userId: claim.userId }, 'unsubscribed from email');
    res
      .status(200)
      .type('html')
      .send('<!doctype html><title>Unsubscribed</title><p>You will get no more emails.</p>');
  });

  return router;
}
