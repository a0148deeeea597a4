import { Topics } from '@parley/contracts';
import { ChangeBoard, type ChangeBoardDoc, EventParking, type Sidecar } from '@parley/service-kit';
import type { Client } from '@temporalio/client';
import type { Express, RequestHandler } from 'express';
import type { Db } from 'mongodb';
import type { Logger } from 'pino';
import { ledgerRoutes } from '../ledger/ledger-routes';
import { preferenceRoutes } from '../preferences/preference-routes';
import { pushSubscriptionRoutes } from '../push/subscription-routes';
import { smsStatusRoutes } from '../sms/status-routes';
import { unsubscribeRoutes } from '../unsubscribe/unsubscribe-routes';
import { BLOCK_BOARD, BlockCache, sidecarRelations } from './block-cache';
import { type ChatEventDeps, mountChatEvents } from './chat-events';
import type { DeliveryConfig } from './config';
import { sidecarDirectory } from './directory';
import { DIRECTORY_BOARD, DirectoryCache } from './directory-cache';
import { deliveryInternalRoutes } from './internal-routes';
import { LEVEL_BOARD, LevelCache } from './level-cache';
import { Planner } from './planner';
import { signalPreferencesChanged } from './preferences-changed';
import { openDeliveryStore } from './store';

export interface DeliveryContext {
  app: Express;
  db: Db;
  sidecar: Sidecar;
  temporal: Client;
  config: DeliveryConfig;
  /** Verifies the caller's access token. */
  auth: RequestHandler;
  /** Closes a deleted account's open invites (see `ChatEventDeps.invites`). */
  invites: ChatEventDeps['invites'];
  logger: Logger;
}

/**
 * Notification delivery: chat events in, preferences, push subscriptions, the ledger, callbacks.
 * Resolves with the store of chat events that failed and wait for a retry, for the caller to start
 * once it is up, and with the change boards of its caches (already reading); the caller stops them
 * all before it closes the database.
 */
export async function mountDelivery({
  app,
  db,
  sidecar,
  temporal,
  config,
  auth,
  invites,
  logger,
}: DeliveryContext): Promise<{ parking: EventParking; boards: ChangeBoard[] }> {
  const store = await openDeliveryStore(db);
  const parking = new EventParking(
    db,
    (event) => sidecar.publish(Topics.deadLetter, event.data as object, event.id),
    logger.child({ component: 'parked-events' }),
  );
  await parking.init();
  const directory = sidecarDirectory(sidecar);
  const planner = new Planner({ store, directory, config });
  // Shared by the message path, which reads it, and the preference routes, which drop what they change.
  const boards = db.collection<ChangeBoardDoc>('change_boards');
  const levelBoard = new ChangeBoard(boards, LEVEL_BOARD, logger.child({ component: 'level-board' }));
  const directoryBoard = new ChangeBoard(
    boards,
    DIRECTORY_BOARD,
    logger.child({ component: 'directory-board' }),
  );
  const blockBoard = new ChangeBoard(boards, BLOCK_BOARD, logger.child({ component: 'block-board' }));
  await Promise.all([levelBoard.start(), directoryBoard.start(), blockBoard.start()]);
  const levels = new LevelCache(store, levelBoard);
  mountChatEvents(app, {
    store,
    directory: new DirectoryCache(directory, directoryBoard),
    chat: directory,
    levels,
    blocks: new BlockCache(sidecarRelations(sidecar), blockBoard),
    temporal,
    invites,
    parking,
    logger: logger.child({ component: 'chat-events' }),
  });
  app.use(deliveryInternalRoutes(store, planner, sidecar));
  // Reached without an access token: Twilio (signed) and mail clients (signed link).
  app.use(
    smsStatusRoutes(store, { publicUrl: config.PUBLIC_URL, twilioAuthToken: config.TWILIO_AUTH_TOKEN }),
  );
  app.use(unsubscribeRoutes(store, config.NOTIFICATION_LINK_SECRET));
  app.use(
    preferenceRoutes(store, directory, levels, auth, (userId) => signalPreferencesChanged(temporal, userId)),
  );
  app.use(
    pushSubscriptionRoutes(store, auth, {
      allowLoopbackHttp: config.PUSH_ALLOW_LOOPBACK_HTTP,
      vapidPublicKey: config.VAPID_PUBLIC_KEY,
    }),
  );
  app.use(ledgerRoutes(store, directory, auth, config.OPS_TOKEN));
  return { parking, boards: [levelBoard, directoryBoard, blockBoard] };
}
