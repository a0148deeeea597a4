import type { Logger } from '@parley/service-kit';
import type { InviteState } from '@parley/workflows';
import type { Client } from '@temporalio/client';
import type { Test } from 'tap';
import type { InviteDirectory } from '../src/invites/invite-directory';
import { Invites } from '../src/invites/invite-service';
import { type InviteDoc, InviteStore } from '../src/invites/invite-store';
import type { InviteWorkflows } from '../src/invites/invite-workflows';
import { privateClient } from './ferretdb';

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined } as unknown as Logger;

/** An invite store, indexed, in database `dbName` of a private FerretDB, and its client. */
export async function inviteStore(t: Test, dbName: string) {
  const client = await privateClient(t);
  const store = new InviteStore(client.db(dbName));
  await store.ensureIndexes();
  return { client, store };
}

/**
 * The invite service over `store` with the given accounts and workflows; links point at a
 * loopback address nobody serves, and there is no SMS.
 */
export function invitesOver(
  store: InviteStore,
  {
    directory,
    workflows,
    maxOpenPerGroup = 200,
  }: {
    directory: InviteDirectory;
    workflows: InviteWorkflows;
    maxOpenPerGroup?: number;
  },
): Invites {
  return new Invites({
    store,
    directory,
    workflows,
    temporal: {} as Client,
    settings: {
      publicUrl: 'http://127.0.0.1:1',
      linkSecret: 'x'.repeat(32),
      expiresAfterMs: 3_600_000,
      remindAfterMs: 1_800_000,
      approvalWindowMs: 3_600_000,
      maxOpenPerGroup,
      smsAvailable: false,
    },
    logger: silent,
  });
}

/** What an invite's workflow answers once it revoked `current` in `userId`'s name. */
export function revokedState(current: InviteDoc, userId: string): { state: InviteState } {
  return {
    state: {
      inviteId: current._id,
      status: 'revoked',
      inviteeUserId: current.inviteeUserId,
      decidedBy: userId,
      failureCode: null,
      remindedAt: null,
      version: current.version + 1,
      updatedAt: new Date().toISOString(),
    },
  };
}
