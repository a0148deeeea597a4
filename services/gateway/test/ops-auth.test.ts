import type { Request } from 'express';
import t from 'tap';
import { requireOpsToken } from '../src/ops/ops-auth';

const TOKEN = 'an-operator-token-of-the-test';

/** What the middleware hands on: nothing when let through, else the refusal's code. */
function check(authorization: string | undefined): string | undefined {
  const req = { get: (name: string) => (name === 'authorization' ? authorization : undefined) };
  let outcome: string | undefined = 'not called';
  requireOpsToken(TOKEN)(req as Request, {} as never, (err?: unknown) => {
    outcome = (err as { code?: string } | undefined)?.code;
  });
  return outcome;
}

t.test('the operator token is taken whatever the case of the scheme', async (t) => {
  for (const scheme of ['Bearer', 'bearer', 'BEARER'])
    t.equal(check(`${scheme} ${TOKEN}`), undefined, scheme);
});

t.test('a wrong or missing token is refused', async (t) => {
  for (const header of [undefined, '', `Basic ${TOKEN}`, 'Bearer wrong', `Bearer${TOKEN}`]) {
    t.equal(check(header), 'OPS_TOKEN_REQUIRED', JSON.stringify(header));
  }
});
