import { randomUUID } from 'node:crypto';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type JWK, SignJWT, exportJWK, generateKeyPair } from 'jose';
import t, { type Test } from 'tap';
import {
  ACCESS_TOKEN_AUDIENCE,
  ACCESS_TOKEN_ISSUER,
  RemoteKeySet,
  createVerifierWithKeys,
} from '../src/index';

interface SigningKey {
  kid: string;
  jwk: JWK;
  sign: () => Promise<string>;
}

async function signingKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { extractable: true });
  const kid = randomUUID();
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' };
  const sign = () =>
    new SignJWT({ sid: randomUUID(), roles: [] })
      .setProtectedHeader({ alg: 'EdDSA', kid })
      .setIssuer(ACCESS_TOKEN_ISSUER)
      .setAudience(ACCESS_TOKEN_AUDIENCE)
      .setSubject(randomUUID())
      .setIssuedAt()
      .setExpirationTime('15m')
      .sign(privateKey);
  return { kid, jwk, sign };
}

/** A key set served over HTTP; what it answers is changed by the test. */
async function keyServer(t: Test) {
  const state = {
    published: [] as JWK[],
    reads: 0,
    answer: 'keys' as 'keys' | 'error' | 'garbage' | 'hang',
  };
  const server: Server = createServer((req, res) => {
    state.reads++;
    if (state.answer === 'hang') return;
    if (state.answer === 'error') {
      res.writeHead(500).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(state.answer === 'garbage' ? '{"keys": "none"}' : JSON.stringify({ keys: state.published }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`);
  return { state, url, server };
}

t.test('a token signed with a key published after the set was read is accepted at once', async (t) => {
  const { state, url } = await keyServer(t);
  const [first, second] = [await signingKey(), await signingKey()];
  state.published = [first.jwk];
  const verifier = createVerifierWithKeys(new RemoteKeySet({ url, unknownKeyIntervalMs: 300 }).resolver());
  t.ok(await verifier.verify(await first.sign()), 'the first key verifies');
  t.equal(state.reads, 1);

  // An immediate rotation: the new key appears, and its tokens come within the interval.
  state.published = [first.jwk, second.jwk];
  const started = Date.now();
  const principals = await Promise.all(
    [second.sign(), second.sign(), second.sign()].map(async (token) => verifier.verify(await token)),
  );
  t.equal(principals.length, 3, 'tokens of the new key are accepted');
  t.equal(state.reads, 2, 'all of them waited for one read');
  t.ok(Date.now() - started < 1_000, 'within the interval, not after a long cooldown');
  t.ok(await verifier.verify(await first.sign()), 'the old key still verifies');
  t.equal(state.reads, 2, 'known keys need no read');
});

t.test('a token naming a key auth does not publish is refused as invalid, with few reads', async (t) => {
  const { state, url } = await keyServer(t);
  const [published, foreign] = [await signingKey(), await signingKey()];
  state.published = [published.jwk];
  const verifier = createVerifierWithKeys(new RemoteKeySet({ url, unknownKeyIntervalMs: 200 }).resolver());
  await verifier.verify(await published.sign());

  const forged = await Promise.all(Array.from({ length: 50 }, () => foreign.sign()));
  const outcomes = await Promise.allSettled(forged.map((token) => verifier.verify(token)));
  t.ok(
    outcomes.every(
      (o) => o.status === 'rejected' && (o.reason as { code: string }).code === 'AUTH_TOKEN_INVALID',
    ),
    'every one is refused with AUTH_TOKEN_INVALID',
  );
  t.ok(state.reads <= 3, `50 forged tokens made ${state.reads - 1} reads, not one each`);
});

t.test('while the key set cannot be read, tokens are answered unavailable, never invalid', async (t) => {
  const { state, url, server } = await keyServer(t);
  const key = await signingKey();
  state.published = [key.jwk];

  for (const answer of ['error', 'garbage', 'hang'] as const) {
    state.answer = answer;
    const cold = createVerifierWithKeys(new RemoteKeySet({ url, timeoutMs: 200 }).resolver());
    await t.rejects(cold.verify(await key.sign()), { code: 'DEPENDENCY_UNAVAILABLE', status: 503 }, answer);
  }

  state.answer = 'keys';
  const verifier = createVerifierWithKeys(
    new RemoteKeySet({ url, maxAgeMs: 50, unknownKeyIntervalMs: 50, timeoutMs: 200 }).resolver(),
  );
  t.ok(await verifier.verify(await key.sign()), 'verifies while auth answers');

  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.ok(await verifier.verify(await key.sign()), 'an expired set still verifies the keys it holds');
  const unknown = await signingKey();
  await t.rejects(
    verifier.verify(await unknown.sign()),
    { code: 'DEPENDENCY_UNAVAILABLE' },
    'a key it lacks cannot be told valid or not',
  );
});

t.test('a read failure is forgotten once a read succeeds', async (t) => {
  const { state, url } = await keyServer(t);
  const key = await signingKey();
  state.published = [key.jwk];
  state.answer = 'error';
  const verifier = createVerifierWithKeys(new RemoteKeySet({ url, unknownKeyIntervalMs: 50 }).resolver());
  await t.rejects(verifier.verify(await key.sign()), { code: 'DEPENDENCY_UNAVAILABLE' });
  state.answer = 'keys';
  t.ok(await verifier.verify(await key.sign()), 'the next token reads the set again and passes');
  const foreign = await signingKey();
  await t.rejects(verifier.verify(await foreign.sign()), { code: 'AUTH_TOKEN_INVALID' });
});

t.test('an expired set answers at once while it is read again, even from a hung auth', async (t) => {
  const { state, url } = await keyServer(t);
  const key = await signingKey();
  state.published = [key.jwk];
  const verifier = createVerifierWithKeys(
    new RemoteKeySet({ url, maxAgeMs: 50, unknownKeyIntervalMs: 50, timeoutMs: 2_000 }).resolver(),
  );
  await verifier.verify(await key.sign());
  state.answer = 'hang';
  await new Promise((resolve) => setTimeout(resolve, 100));
  const token = await key.sign();
  const started = Date.now();
  t.ok(await verifier.verify(token), 'verified against the expired set');
  t.ok(Date.now() - started < 500, 'without waiting for the read');
  // Started in the background: its request reaches the server a moment later on a busy machine.
  const deadline = Date.now() + 2_000;
  while (state.reads < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  t.equal(state.reads, 2, 'the set is being read again');
});
