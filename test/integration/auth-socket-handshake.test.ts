import type { JWK } from 'jose';
import { decodeProtectedHeader } from 'jose';
import { MongoClient } from 'mongodb';
import t from 'tap';
import { forgedTokens } from '../support/forged-tokens';
import { refusalCode } from '../support/sockets';
import { eventually, startTestStack } from '../support/stack';
import { callJson, registerAndLogin } from '../support/users';

// The gateway's Socket.IO handshake verifies access tokens itself, from auth's key set fetched
// through its own sidecar: every forgery is refused there too, on each replica, and a key
// rotation is picked up without anyone being refused.
t.test('the socket handshake refuses every forged token and follows key rotation', async (t) => {
  // Keys sign for an hour and are published two hours ahead: the successor exists from the start.
  const env = await startTestStack(
    t,
    { env: { BCRYPT_COST: '4', SIGNING_KEY_ROTATION: '3600', SIGNING_KEY_PREPUBLISH: '7200' } },
    2,
  );
  const gateways = () => [
    `http://127.0.0.1:${env.stack.ports.apps.gateway.app}`,
    `http://127.0.0.1:${env.stack.ports.extraGateways[0]?.app}`,
  ];
  const viaChat = (method: string, body?: unknown) =>
    callJson(`http://127.0.0.1:${env.stack.ports.apps.chat.daprHttp}/v1.0/invoke/auth/method/${method}`, {
      headers: { 'dapr-api-token': env.stack.secrets.apps.chat.daprApiToken },
      ...(body === undefined ? {} : { body }),
    });
  const [gatewayA] = gateways() as [string, string];
  const user = await registerAndLogin(gatewayA);

  await t.test('forgeries are refused on both replicas; the genuine token connects', async (t) => {
    const jwks = (await viaChat('.well-known/jwks.json')).body as unknown as { keys: JWK[] };
    const kid = String(decodeProtectedHeader(user.accessToken).kid);
    const mongo = new MongoClient(`mongodb://127.0.0.1:${env.stack.ports.mongo}/`);
    const key = await mongo
      .db('parley_auth')
      .collection<{ _id: string; privateJwk: JWK }>('signing_keys')
      .findOne({ _id: kid });
    await mongo.close();
    const forged = await forgedTokens(user.accessToken, {
      jwks,
      ...(key ? { signingKey: key.privateJwk } : {}),
    });
    for (const gateway of gateways()) {
      t.equal(await refusalCode(gateway, { token: user.accessToken }), 'CONNECTED', `${gateway}: genuine`);
      for (const [name, token] of Object.entries(forged)) {
        t.match(
          await refusalCode(gateway, { token }),
          /^AUTH_TOKEN_(INVALID|EXPIRED)$/,
          `${gateway}: ${name}`,
        );
      }
    }
  });

  await t.test('the next key is published before it signs anything', async (t) => {
    const jwks = (await viaChat('.well-known/jwks.json')).body as unknown as { keys: JWK[] };
    const signing = decodeProtectedHeader(user.accessToken).kid;
    t.equal(jwks.keys.length, 2, 'the signing key and its successor');
    t.ok(
      jwks.keys.some((k) => k.kid !== signing),
      'verifiers can learn the successor while tokens still use the current key',
    );
  });

  await t.test('after an immediate rotation, old and new tokens both connect', async (t) => {
    t.equal((await viaChat('internal/v1/signing-keys/rotations', {})).status, 201);
    const fresh = await registerAndLogin(gatewayA);
    t.not(decodeProtectedHeader(fresh.accessToken).kid, decodeProtectedHeader(user.accessToken).kid);
    for (const gateway of gateways()) {
      // A gateway that refetched the key set moments ago waits out its refetch cooldown (5 s).
      const code = await eventually(async () => {
        const result = await refusalCode(gateway, { token: fresh.accessToken });
        return result === 'CONNECTED' ? result : undefined;
      }, 20_000);
      t.equal(code, 'CONNECTED', `${gateway}: new key`);
      t.equal(await refusalCode(gateway, { token: user.accessToken }), 'CONNECTED', `${gateway}: old key`);
    }
  });
});
