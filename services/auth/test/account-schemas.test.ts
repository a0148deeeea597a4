import { parse } from '@parley/service-kit';
import t from 'tap';
import { loginSchema, passwordSchema, registrationSchema } from '../src/accounts/account-schemas';
import { directoryQuerySchema, profileChangeSchema } from '../src/profiles/profile-schemas';

const valid = {
  username: 'Ada.Lovelace_1',
  email: ' Ada@Example.TEST ',
  password: 'correct horse',
  displayName: ' Ada ',
};

t.test('a registration is normalised: lower-case username and email, trimmed name', async (t) => {
  t.same(parse(registrationSchema, valid), {
    username: 'ada.lovelace_1',
    email: 'ada@example.test',
    password: 'correct horse',
    displayName: 'Ada',
  });
});

t.test('passwords are refused beyond 72 bytes, counted in UTF-8, not characters', async (t) => {
  t.ok(passwordSchema.safeParse('a'.repeat(72)).success, '72 ASCII bytes pass');
  t.notOk(passwordSchema.safeParse('a'.repeat(73)).success, '73 bytes fail');
  // 36 two-byte characters are 72 bytes; one more character is too many though only 37 long.
  t.ok(passwordSchema.safeParse('é'.repeat(36)).success);
  const long = passwordSchema.safeParse('é'.repeat(37));
  t.notOk(long.success);
  t.match(long.error?.issues[0]?.message, /72 bytes/);
  t.notOk(passwordSchema.safeParse('short').success, 'and below 8 characters');
});

t.test('every string field refuses objects, arrays and numbers', async (t) => {
  for (const field of ['username', 'email', 'password', 'displayName', 'phone']) {
    for (const value of [{ $ne: null }, { $gt: '' }, ['x'], 1, true, null]) {
      const result = registrationSchema.safeParse({ ...valid, [field]: value });
      t.notOk(result.success, `${field} = ${JSON.stringify(value)}`);
    }
  }
  for (const value of [{ $ne: null }, ['a']]) {
    t.notOk(loginSchema.safeParse({ login: value, password: 'x' }).success);
    t.notOk(loginSchema.safeParse({ login: 'x', password: value }).success);
  }
});

t.test('unknown fields are refused, a role or a prototype key among them', async (t) => {
  t.notOk(registrationSchema.safeParse({ ...valid, roles: ['admin'] }).success);
  t.notOk(registrationSchema.safeParse(JSON.parse(`{"__proto__":{"x":1},"username":"abc"}`)).success);
  t.notOk(profileChangeSchema.safeParse({ $set: { roles: ['admin'] } }).success);
});

t.test(
  'names refuse control characters, direction overrides and lone surrogates; phones must be E.164',
  async (t) => {
    t.ok(
      registrationSchema.safeParse({ ...valid, displayName: 'Ada 👩‍💻 عربي' }).success,
      'emoji and any script',
    );
    for (const name of ['a\r\nBcc: x@y', 'a\u0000', 'tab\there', '\u202Egnp.exe', 'a\u2066b', 'a\ud800b']) {
      t.notOk(registrationSchema.safeParse({ ...valid, displayName: name }).success, JSON.stringify(name));
    }
    t.ok(registrationSchema.safeParse({ ...valid, phone: '+14155550100' }).success);
    for (const phone of ['14155550100', '+0123', '+1 415 555', '+1234567890123456']) {
      t.notOk(registrationSchema.safeParse({ ...valid, phone }).success, phone);
    }
  },
);

/** Names that would show as nothing at all: each of its characters is blank or zero-width. */
const INVISIBLE_NAMES = [
  '\u200B',
  '\u200C\u200D',
  '\u2060\uFEFF',
  '\u00AD',
  ' \u200B ',
  '\u3000\u00A0',
  '\u200E\u200F',
  '\u2800',
  '\u3164',
  '\uFE0F',
];

t.test('a display name with no visible character is refused, in an account and a profile', async (t) => {
  for (const name of INVISIBLE_NAMES) {
    t.notOk(registrationSchema.safeParse({ ...valid, displayName: name }).success, JSON.stringify(name));
    t.notOk(profileChangeSchema.safeParse({ displayName: name }).success, JSON.stringify(name));
  }
  for (const name of ['a\u200Bb', '\u200BAda', '👩\u200D💻', '\u0915\u094D\u200D']) {
    t.ok(registrationSchema.safeParse({ ...valid, displayName: name }).success, JSON.stringify(name));
  }
});

t.test(
  'a status with no visible character or with a lone surrogate is refused; an empty one clears',
  async (t) => {
    // Blank ones trim to empty, which clears the status (checked below).
    const shown = INVISIBLE_NAMES.filter((text) => text.trim() !== '');
    for (const statusText of [...shown, 'away \uD800', '\uDC00']) {
      const result = profileChangeSchema.safeParse({ statusText });
      t.notOk(result.success, JSON.stringify(statusText));
      t.throws(() => parse(profileChangeSchema, { statusText }), { code: 'VALIDATION_FAILED', status: 400 });
    }
    t.same(parse(profileChangeSchema, { statusText: '' }), { statusText: '' }, 'empty clears the status');
    t.same(
      parse(profileChangeSchema, { statusText: ' \u3000\u00A0' }),
      { statusText: '' },
      'so does a blank one',
    );
    for (const statusText of ['on leave \u{1F3D6}\uFE0F', 'a\u200Bb', '\u0915\u094D\u200D']) {
      t.same(parse(profileChangeSchema, { statusText }), { statusText }, JSON.stringify(statusText));
    }
  },
);

t.test('a status refuses direction overrides, which reorder the name shown beside it', async (t) => {
  for (const statusText of ['\u202Eevil', 'a\u202Db']) {
    t.throws(() => parse(profileChangeSchema, { statusText }), { code: 'VALIDATION_FAILED', status: 400 });
  }
  t.ok(profileChangeSchema.safeParse({ statusText: 'x \u2067عربي\u2069 y' }).success, 'isolates stay');
});

t.test('profiles take real time zones and language tags; null clears', async (t) => {
  t.ok(profileChangeSchema.safeParse({ timeZone: 'America/Sao_Paulo', language: 'pt-BR' }).success);
  t.ok(profileChangeSchema.safeParse({ statusText: null, avatarMediaId: null }).success);
  t.notOk(profileChangeSchema.safeParse({ timeZone: 'Nowhere/City' }).success);
  t.notOk(profileChangeSchema.safeParse({ language: 'xx--yy' }).success);
  t.notOk(profileChangeSchema.safeParse({ avatarMediaId: '../../etc/passwd' }).success);
  t.notOk(profileChangeSchema.safeParse({}).success, 'an empty change');
});

t.test('directory queries are single strings of at least two characters', async (t) => {
  t.same(parse(directoryQuerySchema, { q: ' ad ' }), { q: 'ad', limit: 20 });
  t.notOk(directoryQuerySchema.safeParse({ q: ['ab', 'cd'] }).success);
  t.notOk(directoryQuerySchema.safeParse({ q: 'ab', limit: '500' }).success);
  t.notOk(directoryQuerySchema.safeParse({ q: 'ab\u0000' }).success, 'a NUL (the store refuses it)');
  t.notOk(directoryQuerySchema.safeParse({ q: 'a\u001bb' }).success, 'another control character');
});
