import { type Logger, startPeriodic } from '@parley/service-kit';
import type { ChatStore } from '../store';

/** How often old request claims are deleted, and how old they must be. */
export const REQUEST_SWEEP_EVERY_MS = 60 * 60 * 1000;
export const REQUEST_CLAIM_KEPT_MS = 24 * 60 * 60 * 1000;

/**
 * Deletes the claims of group creations and member additions older than a day: they only need to
 * outlive the retries of their request, which end within minutes. Returns how many went.
 */
export async function deleteOldRequestClaims(
  store: Pick<ChatStore, 'groupRequests' | 'memberRequests'>,
  now = new Date(),
): Promise<number> {
  const before = { at: { $lt: new Date(now.getTime() - REQUEST_CLAIM_KEPT_MS) } };
  const [groups, members] = await Promise.all([
    store.groupRequests.deleteMany(before),
    store.memberRequests.deleteMany(before),
  ]);
  return groups.deletedCount + members.deletedCount;
}

/**
 * Runs `deleteOldRequestClaims` a minute after start and then every `everyMs`; the returned
 * function stops it. Each instance sweeps: a claim another deleted is simply not found. On the dev
 * store each sweep reads both collections whole, hence seldom.
 */
export function startRequestSweep(
  store: Pick<ChatStore, 'groupRequests' | 'memberRequests'>,
  logger: Logger,
  everyMs = REQUEST_SWEEP_EVERY_MS,
): () => void {
  return startPeriodic(async () => {
    try {
      const deleted = await deleteOldRequestClaims(store);
      if (deleted > 0) logger.info({ deleted }, 'old request claims deleted');
    } catch (err) {
      logger.warn({ err }, 'deleting old request claims failed; trying again later');
    }
  }, everyMs);
}
