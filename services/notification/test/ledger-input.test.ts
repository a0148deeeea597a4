import { createHttpApp, createLogger, finishHttpApp } from '@parley/service-kit';
import t from 'tap';
import type { Directory } from '../src/delivery/directory';
import type { DeliveryStore } from '../src/delivery/store';
import { ledgerRoutes } from '../src/ledger/ledger-routes';
import { rawCaller } from '../../../test/support/raw-request';

// The delivery ledger reads its query only: a body sent with it is refused before the ledger is read.

const APP_TOKEN = 'app-token-of-the-test';
const OPS_TOKEN = 'ops-token-of-the-test';
const MESSAGE = `m_${'a'.repeat(24)}_1`;

t.test('the delivery ledger takes no body', async (t) => {
  const read: string[] = [];
  // A ledger with no trace of any message.
  const store = {
    messageRecipients: {
      findOne: async () => {
        read.push('messageRecipients');
        return null;
      },
    },
    deliveries: {
      find: () => {
        read.push('deliveries');
        return { toArray: async () => [] };
      },
    },
  } as unknown as DeliveryStore;
  const app = createHttpApp({ logger: createLogger('test', 'silent'), appApiToken: APP_TOKEN });
  app.use(ledgerRoutes(store, {} as Directory, (_req, _res, next) => next(), OPS_TOKEN));
  finishHttpApp(app);
  // node:http rather than fetch, which will not send a body with a GET.
  const request = await rawCaller(t, app, {
    'dapr-api-token': APP_TOKEN,
    authorization: `Bearer ${OPS_TOKEN}`,
  });
  const call = (body?: unknown) => request('GET', `/v1/notifications/deliveries?messageId=${MESSAGE}`, body);

  t.same(await call({ messageId: 'other' }), { status: 400, code: 'VALIDATION_FAILED' });
  t.same(read, [], 'the ledger was not read');
  const plain = await call();
  t.not(plain.status, 400, 'the plain call gets through');
  t.same(read, ['messageRecipients', 'deliveries'], 'and reads the ledger');
  t.not((await call({})).status, 400, 'an empty JSON object is still accepted');
});
