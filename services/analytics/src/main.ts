import { Topics } from '@parley/contracts';
import { baseConfigSchema, connectMongo, mountProbe, runService } from '@parley/service-kit';
import { z } from 'zod';

const configSchema = baseConfigSchema.extend({
  /** MongoDB deployment; this service keeps its data in the `parley_analytics` database. */
  MONGODB_URL: z.string().regex(/^mongodb(\+srv)?:\/\//, 'must be a mongodb:// or mongodb+srv:// URL'),
});

/** The analytics service: usage and delivery statistics and metrics for operators. */
void runService({
  name: 'analytics',
  configSchema,
  topics: [Topics.platformProbe],
  async build({ config, app, sidecar }) {
    const mongo = await connectMongo(config.MONGODB_URL, 'parley_analytics');
    mountProbe(app, 'analytics', sidecar);
    return { checks: [mongo.check], close: mongo.close };
  },
});
