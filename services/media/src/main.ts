import { Topics } from '@parley/contracts';
import { createTokenVerifier, requireUser } from '@parley/identity';
import { connectMongo, mountProbe, runService } from '@parley/service-kit';
import { REFERENCE_TOPICS, mountReferenceEvents } from './cleanup/references';
import { Remover } from './cleanup/remover';
import { startSweep } from './cleanup/sweep';
import { mediaConfigSchema } from './config';
import { internalRoutes } from './internal/routes';
import { chatShareDirectory } from './media/access';
import { Library } from './media/library';
import { mediaRoutes } from './media/routes';
import { Processing } from './processing/processing';
import { MediaStorage } from './storage';
import { openStore } from './store';
import { connectTemporal } from './temporal';
import { Quotas } from './uploads/quotas';
import { STREAM_UPLOAD_PATH, uploadRoutes } from './uploads/routes';
import { Uploads } from './uploads/uploads';
import { retryAfterHeader } from './uploads/retry-after';

/** The media service: uploads to Azure Blob storage, processing and access-checked links. */
void runService({
  name: 'media',
  configSchema: mediaConfigSchema,
  topics: [Topics.platformProbe, ...REFERENCE_TOPICS],
  // A streamed upload's body is read by its route, as a stream, never parsed or buffered.
  streamBody: (path) => path === STREAM_UPLOAD_PATH,
  async build({ config, app, sidecar, logger }) {
    const mongo = await connectMongo(config.MONGODB_URL, 'parley_media', {
      commandStatsDir: config.MONGO_COMMAND_STATS_DIR,
      logger: logger.child({ component: 'mongodb' }),
    });
    const opened: (() => Promise<void>)[] = [mongo.close];
    const closeAll = async () => {
      for (const close of opened.reverse()) await close().catch(() => undefined);
    };
    try {
      const store = await openStore(mongo.db);
      const storage = await MediaStorage.connect(
        config.AZURE_STORAGE_CONNECTION_STRING,
        config.MEDIA_CONTAINER,
      );
      const temporal = await connectTemporal(config.TEMPORAL_ADDRESS, config.TEMPORAL_NAMESPACE);
      opened.push(temporal.close);
      const processing = new Processing({
        store,
        storage,
        temporal: temporal.client,
        sidecar,
        logger: logger.child({ component: 'processing' }),
      });
      const quotas = new Quotas(store, {
        maxUploadBytes: config.MEDIA_MAX_UPLOAD_BYTES,
        quotaBytes: config.MEDIA_QUOTA_BYTES,
        uploadsPerHour: config.MEDIA_UPLOADS_PER_HOUR,
      });
      const uploads = new Uploads({
        store,
        storage,
        quotas,
        processing,
        uploadLinkSeconds: config.MEDIA_UPLOAD_LINK_SECONDS,
      });
      const library = new Library({
        store,
        storage,
        shares: chatShareDirectory(sidecar),
        linkSeconds: config.MEDIA_LINK_SECONDS,
      });
      const remover = new Remover(store, storage, logger.child({ component: 'cleanup' }));
      const verifier = createTokenVerifier({
        daprHttpPort: config.DAPR_HTTP_PORT,
        daprApiToken: config.DAPR_API_TOKEN,
      });
      const guard = requireUser(verifier);

      mountProbe(app, 'media', sidecar);
      mountReferenceEvents(app, { store, processing, remover });
      app.use(internalRoutes(store, processing));
      app.use('/v1', uploadRoutes(uploads, guard), mediaRoutes(library, guard), retryAfterHeader());
      const sweep = startSweep(
        { store, storage, processing, remover, logger: logger.child({ component: 'sweep' }) },
        config.MEDIA_SWEEP_SECONDS,
      );
      opened.push(sweep.stop);
      return { checks: [mongo.check, storage.check, temporal.check], close: closeAll };
    } catch (err) {
      await closeAll();
      throw err;
    }
  },
});
