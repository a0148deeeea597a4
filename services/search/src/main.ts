import { createTokenVerifier, requireUser } from '@parley/identity';
import { connectMongo, mountProbe, runService } from '@parley/service-kit';
import { Topics } from '@parley/contracts';
import { searchConfigSchema } from './config';
import { EmbeddedEngine } from './engine/embedded-engine';
import { TypesenseBackend } from './engine/typesense-backend';
import { SEARCH_TOPICS, mountEventRoutes } from './events/routes';
import { chatMembership } from './membership/member-conversations';
import { MessageIndexer } from './messages/message-indexer';
import { MessageStore } from './messages/message-store';
import { messageSearchRoutes } from './messages/search-routes';
import { PeopleIndexer } from './people/people-indexer';
import { peopleSearchRoutes } from './people/people-routes';
import { PeopleStore } from './people/people-store';
import { chatHistory } from './rebuild/history-source';
import { Rebuilds } from './rebuild/rebuild-job';
import { rebuildRoutes } from './rebuild/rebuild-routes';

/** The search service: full-text search of messages and people. */
void runService({
  name: 'search',
  configSchema: searchConfigSchema,
  topics: [Topics.platformProbe, ...SEARCH_TOPICS],
  async build({ config, app, sidecar, logger, stillStarting }) {
    const mongo = await connectMongo(config.MONGODB_URL, 'parley_search', {
      commandStatsDir: config.MONGO_COMMAND_STATS_DIR,
      logger: logger.child({ component: 'mongodb' }),
    });
    const messageStore = new MessageStore(mongo.db);
    const peopleStore = new PeopleStore(mongo.db);
    await messageStore.init();
    const typesense =
      config.TYPESENSE_URL && config.TYPESENSE_API_KEY
        ? new TypesenseBackend(config.TYPESENSE_URL, config.TYPESENSE_API_KEY)
        : undefined;
    const backend =
      typesense ??
      new EmbeddedEngine({
        messages: () => reporting(messageStore.live(), stillStarting),
        people: () => reporting(peopleStore.live(), stillStarting),
      });
    await backend.init();
    logger.info({ backend: backend.name }, 'search index loaded');

    const verifier = createTokenVerifier({
      daprHttpPort: config.DAPR_HTTP_PORT,
      daprApiToken: config.DAPR_API_TOKEN,
    });
    const guard = requireUser(verifier);
    mountProbe(app, 'search', sidecar);
    const indexer = new MessageIndexer(messageStore, backend);
    mountEventRoutes(app, indexer, new PeopleIndexer(peopleStore, backend));
    const rebuilds = new Rebuilds({
      backend,
      store: messageStore,
      indexer,
      history: chatHistory(sidecar),
      logger: logger.child({ component: 'rebuild' }),
    });
    app.use(rebuildRoutes(rebuilds));
    app.use(messageSearchRoutes(backend, chatMembership(sidecar), guard));
    app.use(peopleSearchRoutes(backend, sidecar, guard));
    const checks = [mongo.check];
    if (typesense) checks.push({ name: 'typesense', check: () => typesense.health() });
    return { checks, close: mongo.close };
  },
});

/** Passes the items on, telling the start-up deadline every thousand that loading goes on. */
async function* reporting<T>(items: AsyncIterable<T>, progress: () => void): AsyncIterable<T> {
  let count = 0;
  for await (const item of items) {
    if (++count % 1_000 === 0) progress();
    yield item;
  }
}
