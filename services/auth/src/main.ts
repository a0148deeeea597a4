import { Topics } from '@parley/contracts';
import { baseConfigSchema, connectMongo, mountProbe, runService } from '@parley/service-kit';
import { z } from 'zod';

const configSchema = baseConfigSchema.extend({
  /** MongoDB deployment; this service keeps its data in the `parley_auth` database. */
  MONGODB_URL: z.string().regex(/^mongodb(\+srv)?:\/\//, 'must be a mongodb:// or mongodb+srv:// URL'),
});

/** The auth service: accounts, passwords, tokens, OIDC login, profiles and contacts. */
void runService({
  name: 'auth',
  configSchema,
  topics: [Topics.platformProbe],
  async build({ config, app, sidecar }) {
    const mongo = await connectMongo(config.MONGODB_URL, 'parley_auth');
    mountProbe(app, 'auth', sidecar);
    return { checks: [mongo.check], close: mongo.close };
  },
});
