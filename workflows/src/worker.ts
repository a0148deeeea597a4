import { hostname } from 'node:os';
import { baseConfigSchema, runService } from '@parley/service-kit';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createTransport } from 'nodemailer';
import { z } from 'zod';
import { createActivities } from './activities';
import { notifyActivityConfig, notifyConfigFields } from './activities/notify-config';
import { connectMediaContainer, mediaWorkerSettings } from './activities/media-storage';
import { workerMetrics } from './metrics/worker-metrics';
import { TASK_QUEUE } from './task-queue';

const configSchema = baseConfigSchema.extend({
  /** host:port of the Temporal frontend. */
  TEMPORAL_ADDRESS: z.string().min(1),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  /** smtp:// or smtps:// URL, credentials included; the launcher's mail catcher locally. */
  SMTP_URL: z.string().regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL'),
  /** The From header of every email. */
  EMAIL_FROM: z.string().default('Parley <no-reply@parley.localhost>'),
  ...mediaWorkerSettings,
  ...notifyConfigFields,
});

/**
 * The Temporal worker: runs the platform's workflows and activities. It listens on HTTP only for
 * its health probes; its sidecar lets activities publish, keep state and call services.
 */
void runService({
  name: 'worker',
  configSchema,
  async build({ config, sidecar, logger }) {
    const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
    const identity = `worker@${hostname()}:${process.pid}`;
    const mailer = createTransport(config.SMTP_URL);
    const mediaContainer = await connectMediaContainer(
      config.AZURE_STORAGE_CONNECTION_STRING,
      config.MEDIA_CONTAINER,
    );
    const metrics = workerMetrics();
    const worker = await Worker.create({
      connection,
      sinks: metrics.sinks,
      interceptors: metrics.interceptors,
      namespace: config.TEMPORAL_NAMESPACE,
      taskQueue: TASK_QUEUE,
      identity,
      workflowsPath: require.resolve('./workflows'),
      activities: createActivities({
        sidecar,
        identity,
        mailer,
        from: config.EMAIL_FROM,
        messageIdDomain: 'parley',
        ...notifyActivityConfig(config),
        mediaContainer,
        maxImagePixels: config.MEDIA_MAX_IMAGE_PIXELS,
      }),
    });
    const running = worker.run().catch((err: unknown) => {
      logger.fatal({ err }, 'worker stopped with an error');
      process.exit(1);
    });
    logger.info({ taskQueue: TASK_QUEUE, namespace: config.TEMPORAL_NAMESPACE }, 'worker polling');
    return {
      checks: [
        {
          name: 'temporal-worker',
          check: async () => {
            if (worker.getState() !== 'RUNNING') throw new Error(`worker is ${worker.getState()}`);
          },
        },
      ],
      close: async () => {
        // The SDK already shuts the worker down on SIGINT and SIGTERM; asking again would throw.
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await running;
        await connection.close();
        mailer.close();
      },
    };
  },
});
