import { randomBytes } from 'node:crypto';
import t from 'tap';
import { TypesenseBackend } from '../src/engine/typesense-backend';
import { backendSuite } from './backend-suite';

// The same behaviour as the embedded engine, against a real Typesense when one is configured
// (TYPESENSE_URL and TYPESENSE_API_KEY); each test gets collections of its own, dropped after.
const url = process.env.TYPESENSE_URL;
const apiKey = process.env.TYPESENSE_API_KEY;
const unreachable =
  url && apiKey ? false : 'no Typesense configured (set TYPESENSE_URL and TYPESENSE_API_KEY)';

t.test('typesense backend', { skip: unreachable }, async (t) => {
  backendSuite(t, async (t) => {
    const suffix = randomBytes(4).toString('hex');
    const names = {
      messagesCollection: `test_messages_${suffix}`,
      peopleCollection: `test_people_${suffix}`,
    };
    const backend = new TypesenseBackend(url!, apiKey!, names);
    await backend.init();
    t.teardown(async () => {
      for (const name of Object.values(names)) {
        await fetch(new URL(`/collections/${name}`, url), {
          method: 'DELETE',
          headers: { 'x-typesense-api-key': apiKey! },
        }).catch(() => undefined);
      }
    });
    return backend;
  });
});
