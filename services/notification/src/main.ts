import { Topics } from '@parley/contracts';
import { createTokenVerifier, requireUser } from '@parley/identity';
import { baseConfigSchema, connectMongo, mongoUrlSchema, mountProbe, runService } from '@parley/service-kit';
import { createTransport } from 'nodemailer';
import { z } from 'zod';
import { connectTemporal } from './temporal';
import { probeWorkflowHooks } from './probe-workflow';
import { emailRoutes } from './emails/email-routes';
import { inviteConfigShape, inviteSettings, mountInvites } from './invites';
import { CHAT_TOPICS } from './delivery/chat-events';
import { deliveryConfigFields } from './delivery/config';
import { mountDelivery } from './delivery/mount';

const configSchema = baseConfigSchema.extend({
  MONGODB_URL: mongoUrlSchema,
  TEMPORAL_ADDRESS: z.string().min(1),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  /** smtp:// or smtps:// URL, credentials included; the launcher's mail catcher locally. */
  SMTP_URL: z.string().regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL'),
  /** Delivery: links, VAPID, Twilio callbacks; see `delivery/config.ts`. */
  ...deliveryConfigFields,
  /** Invite links, expiry and reminders: see `invites/invite-config.ts`. */
  ...inviteConfigShape,
});

/** The notification service: web push, email and SMS delivery driven by Temporal workflows. */
void runService({
  name: 'notification',
  configSchema,
  topics: [Topics.platformProbe, ...CHAT_TOPICS],
  async build({ config, app, sidecar, logger }) {
    const mongo = await connectMongo(config.MONGODB_URL, 'parley_notification', {
      commandStatsDir: config.MONGO_COMMAND_STATS_DIR,
      logger: logger.child({ component: 'mongodb' }),
    });
    const temporal = await connectTemporal(config.TEMPORAL_ADDRESS, config.TEMPORAL_NAMESPACE);
    const mailer = createTransport(config.SMTP_URL);
    mountProbe(app, 'notification', sidecar, probeWorkflowHooks(temporal.client));
    app.use(emailRoutes(temporal.client));
    const verifier = createTokenVerifier({
      daprHttpPort: config.DAPR_HTTP_PORT,
      daprApiToken: config.DAPR_API_TOKEN,
    });
    const invites = await mountInvites(app, {
      db: mongo.db,
      sidecar,
      temporal: temporal.client,
      settings: inviteSettings(config),
      auth: requireUser(verifier),
      logger,
    });
    const { parking, boards } = await mountDelivery({
      app,
      db: mongo.db,
      sidecar,
      temporal: temporal.client,
      config,
      auth: requireUser(verifier),
      invites,
      logger,
    });
    const smtpCheck = {
      name: 'smtp',
      check: async () => {
        await mailer.verify();
      },
    };
    parking.start();
    return {
      checks: [mongo.check, temporal.check, smtpCheck],
      close: async () => {
        await parking.stop();
        await Promise.all(boards.map((board) => board.stop()));
        mailer.close();
        await temporal.close();
        await mongo.close();
      },
    };
  },
});
