import { principalOf } from '@parley/identity';
import { noQuery, parse, takesNoInput } from '@parley/service-kit';
import { type RequestHandler, Router } from 'express';
import { z } from 'zod';
import type { DeliveryStore } from '../delivery/store';
import {
  PushEndpointRefusedError,
  PushEndpointTakenError,
  PushSubscriptionNotFoundError,
  TooManyPushSubscriptionsError,
} from '../errors';
import { EndpointOwners, subscriptionId } from './endpoint-owners';
import { MAX_SUBSCRIPTIONS, SubscriptionSlots } from './subscription-slots';

/** base64url (padding tolerated) that decodes to exactly `bytes` bytes. */
const base64urlBytes = (bytes: number, what: string) =>
  z
    .string()
    .max(200)
    .regex(/^[A-Za-z0-9_-]+={0,2}$/, `${what} must be base64url`)
    .refine((s) => Buffer.from(s, 'base64url').length === bytes, {
      message: `${what} must be ${bytes} bytes`,
    });

/** A browser's PushSubscription, as `JSON.stringify(subscription)` gives it. */
const subscriptionBody = z
  .object({
    endpoint: z.url().max(2048),
    expirationTime: z.number().nullable().optional(),
    keys: z
      .object({
        // An uncompressed P-256 point (RFC 8291): 65 bytes starting with 0x04.
        p256dh: base64urlBytes(65, 'p256dh').refine((s) => Buffer.from(s, 'base64url')[0] === 4, {
          message: 'p256dh must be an uncompressed P-256 point',
        }),
        auth: base64urlBytes(16, 'auth'),
      })
      .strict(),
  })
  .strict();

const idParams = z.object({ subscriptionId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/) }).strict();

/**
 * Only https endpoints on a DNS name are accepted (push services are always https), so the worker
 * is not made to post to an address literal such as a cloud metadata or private address; with
 * the test setting `allowLoopbackHttp`, also http on 127.0.0.1. Credentials and fragments are
 * refused. A name may still resolve to a private address, now or later: the worker checks the
 * address it connects to at each push and posts only to public ones.
 */
export function checkPushEndpoint(endpoint: string, allowLoopbackHttp: boolean): void {
  const url = new URL(endpoint);
  if (url.username || url.password || url.hash)
    throw new PushEndpointRefusedError('The endpoint must be a plain URL.');
  if (allowLoopbackHttp && url.protocol === 'http:' && url.hostname === '127.0.0.1') return;
  if (url.protocol !== 'https:')
    throw new PushEndpointRefusedError('The push endpoint must be an https URL.');
  const literal = /^[\d.]+$/.test(url.hostname) || url.hostname.startsWith('[');
  if (literal || url.hostname === 'localhost' || !url.hostname.includes('.'))
    throw new PushEndpointRefusedError('The push endpoint must be on a public DNS name.');
}

/** `/v1/notifications/push-subscriptions`: the caller's browsers register and remove themselves. */
export function pushSubscriptionRoutes(
  store: DeliveryStore,
  auth: RequestHandler,
  options: { allowLoopbackHttp: boolean; vapidPublicKey: string | undefined },
): Router {
  const router = Router();
  const path = '/v1/notifications/push-subscriptions';
  const slots = new SubscriptionSlots(store);
  const endpoints = new EndpointOwners(store, slots);

  // The application server key browsers pass to pushManager.subscribe().
  router.get('/v1/notifications/push-key', auth, takesNoInput(), (_req, res) => {
    res.json({ publicKey: options.vapidPublicKey ?? null });
  });

  // Only admitted subscriptions: one a crash left stored but never admitted is not the user's.
  router.get(path, auth, takesNoInput(), async (req, res) => {
    const docs = await slots.admitted(principalOf(req).userId, MAX_SUBSCRIPTIONS);
    res.json({
      items: docs.map((d) => ({ id: d._id, endpoint: d.endpoint, createdAt: d.createdAt.toISOString() })),
    });
  });

  router.post(path, auth, async (req, res) => {
    parse(noQuery, req.query, 'query');
    const { userId } = principalOf(req);
    const body = parse(subscriptionBody, req.body, 'body');
    checkPushEndpoint(body.endpoint, options.allowLoopbackHttp);
    const id = subscriptionId(userId, body.endpoint);
    const result = await store.pushSubscriptions.updateOne(
      { _id: id },
      {
        $set: { userId, endpoint: body.endpoint, keys: body.keys, ownerRecorded: true, storedAt: new Date() },
        $setOnInsert: { createdAt: new Date() },
      },
      { upsert: true },
    );
    // Stored first, then admitted: a subscription still being admitted is never taken for gone.
    // Stored again (a browser registering again after a crash left it unadmitted) admits it.
    if (!(await slots.admit(userId, id, MAX_SUBSCRIPTIONS))) {
      await store.pushSubscriptions.deleteOne({ _id: id });
      throw new TooManyPushSubscriptionsError(MAX_SUBSCRIPTIONS);
    }
    if (!(await endpoints.take(userId, body.endpoint))) {
      await store.pushSubscriptions.deleteOne({ _id: id });
      await slots.release(userId, id);
      throw new PushEndpointTakenError();
    }
    res
      .status(result.upsertedCount > 0 ? 201 : 200)
      .location(`/api${path}/${id}`)
      .json({ id, endpoint: body.endpoint });
  });

  router.delete(`${path}/:subscriptionId`, auth, takesNoInput(), async (req, res) => {
    const { subscriptionId } = parse(idParams, req.params, 'params');
    const result = await store.pushSubscriptions.deleteOne({
      _id: subscriptionId,
      userId: principalOf(req).userId,
    });
    if (result.deletedCount === 0) throw new PushSubscriptionNotFoundError(subscriptionId);
    await slots.release(principalOf(req).userId, subscriptionId);
    res.status(204).end();
  });

  return router;
}
