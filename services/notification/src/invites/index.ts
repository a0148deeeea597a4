import type { Logger, Sidecar } from '@parley/service-kit';
import type { Client } from '@temporalio/client';
import type { Db } from 'mongodb';
import type { Express, RequestHandler } from 'express';
import { type InviteSettings } from './invite-config';
import { sidecarDirectory } from './invite-directory';
import { inviteInternalRoutes, inviteRoutes } from './invite-routes';
import { Invites } from './invite-service';
import { InviteStore } from './invite-store';
import { InviteWorkflows } from './invite-workflows';

export { inviteConfigShape, inviteSettings } from './invite-config';

/**
 * Builds the invite feature and mounts its public and internal routes. Resolves with the invites,
 * for the `user.deleted` consumer to close a deleted account's open ones.
 */
export async function mountInvites(
  app: Express,
  deps: {
    db: Db;
    sidecar: Sidecar;
    temporal: Client;
    settings: InviteSettings;
    auth: RequestHandler;
    logger: Logger;
  },
): Promise<Invites> {
  const store = new InviteStore(deps.db);
  await store.ensureIndexes();
  const invites = new Invites({
    store,
    directory: sidecarDirectory(deps.sidecar),
    workflows: new InviteWorkflows(deps.temporal),
    temporal: deps.temporal,
    settings: deps.settings,
    logger: deps.logger.child({ component: 'invites' }),
  });
  app.use(inviteInternalRoutes(invites));
  app.use(inviteRoutes(invites, deps.auth));
  return invites;
}
