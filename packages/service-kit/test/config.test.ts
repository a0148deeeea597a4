import t from 'tap';
import { z } from 'zod';
import { ConfigError, baseConfigSchema, loadConfig } from '../src/config';

const valid = {
  PORT: '4411',
  DAPR_API_TOKEN: 'a'.repeat(20),
  APP_API_TOKEN: 'b'.repeat(20),
};

t.test('applies documented defaults and coerces ports', async (t) => {
  const config = loadConfig(baseConfigSchema, valid);
  t.equal(config.PORT, 4411);
  t.equal(config.HOST, '127.0.0.1');
  t.equal(config.DAPR_HTTP_PORT, 3500);
  t.equal(config.PUBSUB_NAME, 'pubsub');
});

t.test('treats an empty variable as unset', async (t) => {
  const config = loadConfig(baseConfigSchema, { ...valid, HOST: '' });
  t.equal(config.HOST, '127.0.0.1');
});

t.test('freezes the result', async (t) => {
  const config = loadConfig(baseConfigSchema, valid);
  t.ok(Object.isFrozen(config));
});

t.test('names every invalid variable in one error', async (t) => {
  const err = t.throws(() =>
    loadConfig(baseConfigSchema, { PORT: 'x', APP_API_TOKEN: 'short' }),
  ) as ConfigError;
  t.type(err, ConfigError);
  const text = err.issues.join('\n');
  t.match(text, /PORT/);
  t.match(text, /DAPR_API_TOKEN/);
  t.match(text, /APP_API_TOKEN/);
});

t.test('extended schemas keep the base fields', async (t) => {
  const schema = baseConfigSchema.extend({ EXTRA: z.string() });
  t.throws(() => loadConfig(schema, valid), /EXTRA/);
  t.equal(loadConfig(schema, { ...valid, EXTRA: 'x' }).EXTRA, 'x');
});
