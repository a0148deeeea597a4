import { Topics } from '@parley/contracts';
import { baseConfigSchema, mountProbe, runService } from '@parley/service-kit';

/** The search service: full-text search of messages and people. */
void runService({
  name: 'search',
  configSchema: baseConfigSchema,
  topics: [Topics.platformProbe],
  async build({ app, sidecar }) {
    mountProbe(app, 'search', sidecar);
    return {};
  },
});
