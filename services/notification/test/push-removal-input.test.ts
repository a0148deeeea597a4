import { type Sidecar, createHttpApp, createLogger, finishHttpApp } from '@parley/service-kit';
import t from 'tap';
import { deliveryInternalRoutes } from '../src/delivery/internal-routes';

// The worker's request to drop a recipient's dead push subscriptions carries the ids and a reason,
// nothing else: a field beside them is refused before anything is deleted, as every internal
// body is.

const APP_TOKEN = 'app-token-of-the-test';

t.test('a push subscription removal takes only ids and a reason', async (t) => {
  const deleted: unknown[] = [];
  const store = {
    pushSubscriptions: {
      deleteMany: async (filter: unknown) => {
        deleted.push(filter);
        return { deletedCount: 1 };
      },
    },
  };
  const app = createHttpApp({ logger: createLogger('test', 'silent'), appApiToken: APP_TOKEN });
  app.use(deliveryInternalRoutes(store as never, {} as never, {} as Sidecar));
  finishHttpApp(app);
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  t.teardown(() => new Promise((resolve) => server.close(resolve)));
  const { port } = server.address() as { port: number };
  const remove = async (body: object) => {
    const res = await fetch(
      `http://127.0.0.1:${port}/internal/v1/recipients/u_1/push-subscriptions/removals`,
      {
        method: 'POST',
        headers: { 'dapr-api-token': APP_TOKEN, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      },
    );
    return { status: res.status, body: (await res.json()) as { code?: string } };
  };

  const refused = await remove({ ids: ['ps_1'], reason: 'gone', userId: 'u_2' });
  t.equal(refused.status, 400);
  t.equal(refused.body.code, 'VALIDATION_FAILED');
  t.same(deleted, [], 'nothing was deleted');

  t.same(await remove({ ids: ['ps_1'], reason: 'gone' }), { status: 200, body: { removed: 1 } });
  t.same(deleted, [{ _id: { $in: ['ps_1'] }, userId: 'u_1' }]);
});
