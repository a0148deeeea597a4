import { Topics } from '@parley/contracts';
import { baseConfigSchema, connectMongo, mongoUrlSchema, mountProbe, runService } from '@parley/service-kit';
import { mountDeadLetters } from './dead-letters/routes';
import { DeadLetterStore } from './dead-letters/store';

const configSchema = baseConfigSchema.extend({
  /** MongoDB deployment; this service keeps its data in the `parley_analytics` database. */
  MONGODB_URL: mongoUrlSchema,
});

/** The analytics service: usage and delivery statistics and metrics for operators. */
void runService({
  name: 'analytics',
  configSchema,
  topics: [Topics.platformProbe, Topics.deadLetter],
  async build({ config, app, sidecar }) {
    const mongo = await connectMongo(config.MONGODB_URL, 'parley_analytics');
    const deadLetters = new DeadLetterStore(mongo.db);
    await deadLetters.init();
    mountProbe(app, 'analytics', sidecar);
    mountDeadLetters(app, deadLetters);
    return { checks: [mongo.check], close: mongo.close };
  },
});
