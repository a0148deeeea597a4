import t from 'tap';
import { PasswordHasher } from '../src/accounts/passwords';

t.test('a hash verifies its own password only', async (t) => {
  const hasher = new PasswordHasher(4);
  const hash = await hasher.hash('correct horse');
  t.match(hash, /^\$2b\$04\$/, 'bcrypt at the configured cost');
  t.equal(await hasher.verify('correct horse', hash), true);
  t.equal(await hasher.verify('correct horse!', hash), false);
});

t.test('an account without a hash never verifies, not even against the decoy', async (t) => {
  const hasher = new PasswordHasher(4);
  t.equal(await hasher.verify('decoy password of no account', null), false);
  t.equal(await hasher.verify('anything', undefined), false);
});
