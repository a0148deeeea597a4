import { join } from 'node:path';
import { createTokenVerifier } from '@parley/identity';
import { runService } from '@parley/service-kit';
import { trustProxies } from './client-address';
import { gatewayConfigSchema } from './config';
import { opsRoutes } from './ops/routes';
import { refuseRevokedSessions } from './realtime/revoked-sessions';
import { startRealtime } from './realtime';
import { REALTIME_TOPICS } from './realtime/subscriptions';
import { refuseDeclaredOversize } from './proxy/declared-size';
import { isProxiedPath, proxyRoutes } from './proxy/routes';
import { refuseUnfitUpload } from './proxy/upload-checks';
import { startRateLimits } from './rate-limits';
import { guardSlowBodies } from './slow-bodies';
import { referenceRoutes } from './reference/routes';
import { blobOrigin } from './web/blob-origin';
import { webRoutes } from './web/routes';

/**
 * The gateway: the one process users reach. It routes REST calls to the services through Dapr,
 * serves the API reference, the operator endpoints and the web client.
 */
void runService({
  name: 'gateway',
  configSchema: gatewayConfigSchema,
  // Only the sidecar may reach these: subscription deliveries and internal calls.
  tokenOnlyUnder: ['/dapr', '/internal'],
  streamBody: isProxiedPath,
  topics: REALTIME_TOPICS,
  async build({ config, app, sidecar, logger }) {
    trustProxies(app, config.TRUSTED_PROXIES);
    app.use('/api', referenceRoutes());
    app.use('/api/v1/ops', opsRoutes(sidecar, config.OPS_TOKEN));
    const verifier = createTokenVerifier({
      daprHttpPort: config.DAPR_HTTP_PORT,
      daprApiToken: config.DAPR_API_TOKEN,
    });
    const realtime = await startRealtime({ config, app, sidecar, verifier, logger });
    const limits = await startRateLimits(config, sidecar, verifier, logger);
    app.use('/api/v1', limits.router);
    app.use('/api/v1', refuseRevokedSessions(realtime.revokedSessions));
    app.use(
      '/api/v1',
      refuseUnfitUpload(verifier),
      refuseDeclaredOversize(config.MEDIA_MAX_UPLOAD_BYTES),
      proxyRoutes(sidecar),
    );
    app.use(
      webRoutes({
        webDir: config.WEB_DIR ?? join(__dirname, '..', '..', '..', 'web', 'dist'),
        mediaOrigin: blobOrigin(config.AZURE_STORAGE_CONNECTION_STRING),
      }),
    );
    return {
      checks: [realtime.check, limits.check],
      onListening: (server) => {
        // Socket.IO first: its engine takes over the request listeners it finds and hands them only
        // requests outside its path, so a guard added before would never see a polling body.
        realtime.realtime.attach(server);
        guardSlowBodies(server, config, logger);
      },
      drain: () => realtime.realtime.drain(),
      close: async () => {
        await realtime.close();
        await limits.close();
      },
    };
  },
});
