import { principalOf } from '@parley/identity';
import { noQuery, parse, takesNoInput } from '@parley/service-kit';
import { type RequestHandler, Router } from 'express';
import type { Directory } from '../delivery/directory';
import type { LevelCache } from '../delivery/level-cache';
import { type DeliveryStore, conversationPreferenceId } from '../delivery/store';
import { ConversationNotVisibleError } from '../errors';
import { conversationLevels, loadPreferences, updatePreferences } from './preference-store';
import { conversationLevelBody, conversationParams, preferencesPatchSchema } from './schemas';

/**
 * `/v1/notifications/preferences`: the caller's global and per-conversation preferences. A change,
 * once written, drops the caller's cached levels on this instance, so the next message it handles
 * follows it, and raises the levels change board, which the other instances follow within about a
 * second (`level-cache.ts`). A change of delays or quiet hours is also signalled to the caller's
 * workflow, which times what is waiting again (`preferencesChanged`).
 */
export function preferenceRoutes(
  store: DeliveryStore,
  directory: Directory,
  levels: LevelCache,
  auth: RequestHandler,
  preferencesChanged: (userId: string) => Promise<void>,
): Router {
  const router = Router();
  const path = '/v1/notifications/preferences';

  const view = async (userId: string) => ({
    ...(await loadPreferences(store, userId)),
    conversations: Object.fromEntries(await conversationLevels(store, userId)),
  });

  router.get(path, auth, takesNoInput(), async (req, res) => {
    res.json(await view(principalOf(req).userId));
  });

  router.patch(path, auth, async (req, res) => {
    parse(noQuery, req.query, 'query');
    const { userId } = principalOf(req);
    const patch = parse(preferencesPatchSchema, req.body, 'body');
    await updatePreferences(store, userId, patch);
    await levels.changedUser(userId);
    if (patch.delays !== undefined || patch.quietHours !== undefined) {
      // The change is stored either way; without the signal a raised delay still holds (the plan
      // checks it) and a lowered one applies from the old due time on.
      await preferencesChanged(userId).catch((err: unknown) => {
        req.log.warn({ err, userId }, 'the recipient workflow was not told of changed preferences');
      });
    }
    res.json(await view(userId));
  });

  router.put(`${path}/conversations/:conversationId`, auth, async (req, res) => {
    parse(noQuery, req.query, 'query');
    const { userId } = principalOf(req);
    const { conversationId } = parse(conversationParams, req.params, 'params');
    const { level } = parse(conversationLevelBody, req.body, 'body');
    if (!(await directory.conversationAs(userId, conversationId)))
      throw new ConversationNotVisibleError(conversationId);
    await store.conversationPreferences.updateOne(
      { _id: conversationPreferenceId(userId, conversationId) },
      { $set: { userId, conversationId, level, updatedAt: new Date() } },
      { upsert: true },
    );
    await levels.changedOverride(userId, conversationId);
    res.json(await view(userId));
  });

  router.delete(`${path}/conversations/:conversationId`, auth, takesNoInput(), async (req, res) => {
    const { userId } = principalOf(req);
    const { conversationId } = parse(conversationParams, req.params, 'params');
    await store.conversationPreferences.deleteOne({ _id: conversationPreferenceId(userId, conversationId) });
    await levels.changedOverride(userId, conversationId);
    res.status(204).end();
  });

  return router;
}
