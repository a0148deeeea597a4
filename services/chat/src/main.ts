import { Topics } from '@parley/contracts';
import { createTokenVerifier, requireUser } from '@parley/identity';
import {
  BatchedPublisher,
  ChangeBoard,
  PublishOutbox,
  baseConfigSchema,
  connectMongo,
  metricsMount,
  mongoUrlSchema,
  mountProbe,
  runService,
} from '@parley/service-kit';
import type { RequestHandler } from 'express';
import { z } from 'zod';
import { authDirectory } from './auth-client';
import { ACCOUNT_TOPICS, AccountDeletions, mountAccountEvents } from './conversations/account-deletion';
import { MEMBERSHIP_BOARD, MembershipCache } from './conversations/membership-cache';
import { conversationRoutes } from './conversations/routes';
import { Conversations } from './conversations/service';
import { sidecarEvents } from './events';
import { messageHistoryRoutes } from './internal/message-history';
import { actingAs, internalRoutes } from './internal/routes';
import { inviteRoutes } from './invites/invite-routes';
import { groupPictures, mediaCatalog } from './media/media-client';
import { MEDIA_TOPICS, mountMediaEvents } from './media/media-events';
import { mediaViewerRoutes } from './media/media-routes';
import { messageRoutes } from './messages/routes';
import { sendBatchRoutes } from './messages/send-batch';
import { Messages } from './messages/service';
import { receiptRoutes } from './receipts/routes';
import { Receipts } from './receipts/service';
import { openStore } from './store';
import { startRequestSweep } from './conversations/request-sweep';

const configSchema = baseConfigSchema.extend({
  /** MongoDB deployment; this service keeps its data in the `parley_chat` database. */
  MONGODB_URL: mongoUrlSchema,
  /**
   * How long at most an instance remembers a membership it found, for the check each send makes
   * (0: it reads every time). A removal takes effect at once through this instance, and through
   * the others once they read the membership change board, about a second later.
   */
  CHAT_MEMBERSHIP_CACHE_MS: z.coerce.number().int().min(0).default(600_000),
});

/** The chat service: conversations, messages, receipts, typing and presence. */
void runService({
  name: 'chat',
  configSchema,
  topics: [Topics.platformProbe, ...MEDIA_TOPICS, ...ACCOUNT_TOPICS],
  bodyLimit: '64kb',
  async build({ config, app, sidecar, logger }) {
    const mongo = await connectMongo(config.MONGODB_URL, 'parley_chat', {
      commandStatsDir: config.MONGO_COMMAND_STATS_DIR,
      logger: logger.child({ component: 'mongodb' }),
    });
    const store = await openStore(mongo.db);
    const directory = authDirectory(sidecar);
    // A change is stored before it is announced: an announcement the sidecar refuses is kept and
    // published later, so a stored message always reaches its consumers. While many are announced
    // at once they go to the sidecar in batches.
    const outbox = new PublishOutbox(
      mongo.db,
      new BatchedPublisher(sidecar),
      logger.child({ component: 'publish-outbox' }),
    );
    await outbox.init();
    const events = sidecarEvents(outbox);
    // Removals made through other instances reach this one's memory through the board.
    const membershipBoard = new ChangeBoard(
      store.changeBoards,
      MEMBERSHIP_BOARD,
      logger.child({ component: 'membership-board' }),
    );
    await membershipBoard.start();
    const memberships = new MembershipCache(store, membershipBoard, config.CHAT_MEMBERSHIP_CACHE_MS);
    const conversations = new Conversations({
      store,
      pictures: groupPictures(sidecar),
      memberships,
      directory,
      events,
      logger: logger.child({ component: 'conversations' }),
    });
    const messages = new Messages({ store, memberships, directory, events, media: mediaCatalog(sidecar) });
    const receipts = new Receipts({ store, events, messages });
    const verifier = createTokenVerifier({
      daprHttpPort: config.DAPR_HTTP_PORT,
      daprApiToken: config.DAPR_API_TOKEN,
    });

    mountProbe(app, 'chat', sidecar);
    const resources = (guard: RequestHandler) => [
      conversationRoutes(conversations, guard),
      messageRoutes(messages, guard),
      receiptRoutes(receipts, guard),
    ];
    app.use(internalRoutes(conversations));
    app.use(inviteRoutes(conversations));
    app.use(messageHistoryRoutes(store));
    app.use(sendBatchRoutes(messages, logger.child({ component: 'send-batch' })));
    app.use(mediaViewerRoutes(store));
    mountMediaEvents(app, store, events, conversations);
    mountAccountEvents(app, new AccountDeletions(store, conversations));
    const actingMount = '/internal/v1/users/:userId';
    app.use(actingMount, metricsMount(actingMount), actingAs(), ...resources((_req, _res, next) => next()));
    app.use('/v1', ...resources(requireUser(verifier)));
    outbox.start();
    const stopRequestSweep = startRequestSweep(store, logger.child({ component: 'request-sweep' }));
    return {
      checks: [mongo.check],
      close: async () => {
        stopRequestSweep();
        await outbox.stop();
        await membershipBoard.stop();
        await mongo.close();
      },
    };
  },
});
