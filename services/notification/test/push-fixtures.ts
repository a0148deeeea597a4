import type { AddressInfo } from 'node:net';
import { createHttpApp, createLogger, finishHttpApp } from '@parley/service-kit';
import type { RequestHandler } from 'express';
import type { Test } from 'tap';
import { openDeliveryStore } from '../src/delivery/store';
import { pushSubscriptionRoutes } from '../src/push/subscription-routes';
import { privateClient } from './ferretdb';

const APP_TOKEN = 'a'.repeat(32);

/** A browser's subscription: a 65-byte uncompressed P-256 point and a 16-byte secret. */
export const subscription = (endpoint: string) => ({
  endpoint,
  expirationTime: null,
  keys: {
    p256dh: Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 7)]).toString('base64url'),
    auth: Buffer.alloc(16, 9).toString('base64url'),
  },
});

/** The subscription routes over a private store, the caller named by an `x-user` header. */
export async function routesOver(t: Test) {
  const client = await privateClient(t);
  const store = await openDeliveryStore(client.db('parley_push_subscriptions_test'));
  const auth: RequestHandler = (req, _res, next) => {
    req.principal = { userId: String(req.headers['x-user']), sessionId: 's_1', roles: [] };
    next();
  };
  const app = createHttpApp({ logger: createLogger('test', 'silent'), appApiToken: APP_TOKEN });
  app.use(pushSubscriptionRoutes(store, auth, { allowLoopbackHttp: false, vapidPublicKey: undefined }));
  finishHttpApp(app);
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  t.teardown(() => new Promise((resolve) => server.close(resolve)));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/notifications/push-subscriptions`;
  const headers = (user: string, requestId: string) => ({
    'content-type': 'application/json',
    'dapr-api-token': APP_TOKEN,
    'x-request-id': requestId,
    'x-user': user,
  });

  const subscribe = async (user: string, requestId: string, endpoint: string) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: headers(user, requestId),
      body: JSON.stringify(subscription(endpoint)),
    });
    return { status: res.status, body: (await res.json()) as { id: string; code?: string } };
  };

  /** The endpoints the user's list shows. */
  const listed = async (user: string) => {
    const res = await fetch(url, { headers: headers(user, 'list') });
    const body = (await res.json()) as { items: { id: string; endpoint: string }[] };
    return body.items.map((item) => item.endpoint);
  };

  const unsubscribe = async (user: string, id: string) =>
    (await fetch(`${url}/${id}`, { method: 'DELETE', headers: headers(user, `delete-${id}`) })).status;

  return { client, store, subscribe, listed, unsubscribe };
}
