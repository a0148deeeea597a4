import { Topics } from '@parley/contracts';
import { createTokenVerifier, requireUser } from '@parley/identity';
import { baseConfigSchema, connectMongo, mongoUrlSchema, mountProbe, runService } from '@parley/service-kit';
import { mountDeadLetters } from './dead-letters/routes';
import { DeadLetterStore } from './dead-letters/store';
import { ANALYTICS_TOPICS, mountEventRoutes } from './events/routes';
import { FigureStore } from './figures/figure-store';
import { Recorder } from './figures/recorder';
import { figureRoutes } from './figures/routes';

const configSchema = baseConfigSchema.extend({
  /** MongoDB deployment; this service keeps its data in the `parley_analytics` database. */
  MONGODB_URL: mongoUrlSchema,
});

/** The analytics service: usage and delivery statistics and metrics for operators. */
void runService({
  name: 'analytics',
  configSchema,
  topics: [Topics.platformProbe, Topics.deadLetter, ...ANALYTICS_TOPICS],
  async build({ config, app, sidecar, logger }) {
    const mongo = await connectMongo(config.MONGODB_URL, 'parley_analytics', {
      commandStatsDir: config.MONGO_COMMAND_STATS_DIR,
      logger: logger.child({ component: 'mongodb' }),
    });
    const deadLetters = new DeadLetterStore(mongo.db);
    await deadLetters.init();
    const figures = new FigureStore(mongo.db);
    await figures.init();
    const verifier = createTokenVerifier({
      daprHttpPort: config.DAPR_HTTP_PORT,
      daprApiToken: config.DAPR_API_TOKEN,
    });
    mountProbe(app, 'analytics', sidecar);
    mountDeadLetters(app, deadLetters);
    mountEventRoutes(app, new Recorder(figures));
    app.use(figureRoutes(figures, requireUser(verifier)));
    return { checks: [mongo.check], close: mongo.close };
  },
});
