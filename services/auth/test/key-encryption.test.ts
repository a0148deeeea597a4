import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair } from 'jose';
import t from 'tap';
import { authConfigSchema } from '../src/config';
import { KeyEncryption, KeyEncryptionConfigError, SealedKeyError } from '../src/sessions/key-encryption';

const newKek = () => randomBytes(32).toString('base64');

async function privateJwk() {
  const { privateKey } = await generateKeyPair('EdDSA', { extractable: true });
  return { ...(await exportJWK(privateKey)), kid: 'k1', alg: 'EdDSA' };
}

t.test('a sealed key opens with its key-encryption key and signing key id only', async (t) => {
  const jwk = await privateJwk();
  const kek = newKek();
  const sealed = new KeyEncryption(kek).seal(jwk, 'k1');
  t.notOk(JSON.stringify(sealed).includes(String(jwk.d)), 'the private scalar is not in the sealed form');
  t.same(new KeyEncryption(kek).open(sealed, 'k1'), jwk);
  t.throws(() => new KeyEncryption(kek).open(sealed, 'k2'), SealedKeyError, 'bound to its kid');
  t.throws(
    () => new KeyEncryption(newKek()).open(sealed, 'k1'),
    SealedKeyError,
    'another key cannot open it',
  );
  const altered = { ...sealed, ciphertext: Buffer.from('x'.repeat(40)).toString('base64') };
  t.throws(() => new KeyEncryption(kek).open(altered, 'k1'), SealedKeyError, 'altered data is refused');
});

t.test('a previous key-encryption key still opens what it sealed', async (t) => {
  const jwk = await privateJwk();
  const [old, current] = [newKek(), newKek()];
  const sealed = new KeyEncryption(old).seal(jwk, 'k1');
  const replacing = new KeyEncryption(current, [old]);
  t.same(replacing.open(sealed, 'k1'), jwk);
  t.notOk(replacing.isCurrent(sealed), 'marked for sealing again');
  t.ok(replacing.isCurrent(replacing.seal(jwk, 'k1')));
});

t.test('a key-encryption key must be 32 bytes of base64', async (t) => {
  t.throws(() => new KeyEncryption(randomBytes(16).toString('base64')), KeyEncryptionConfigError);
  t.throws(() => new KeyEncryption('not base64 at all!'), KeyEncryptionConfigError);
  const base = { MONGODB_URL: 'mongodb://127.0.0.1:1/', DAPR_API_TOKEN: 'x'.repeat(16) };
  t.notOk(authConfigSchema.safeParse({ ...base, SIGNING_KEY_ENCRYPTION_KEY: 'short' }).success);
  t.notOk(authConfigSchema.safeParse(base).success, 'the service does not start without one');
});
