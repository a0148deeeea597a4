import { AppError, NotFoundError, parse, takesNoInput } from '@parley/service-kit';
import { Router } from 'express';
import { z } from 'zod';
import type { Rebuilds } from './rebuild-job';

/**
 * `POST /internal/v1/rebuilds` starts a rebuild of the message index (202, or 409
 * `SEARCH_REBUILD_RUNNING` while one runs); `GET /internal/v1/rebuilds/{id}` reports its
 * progress. Internal: only sidecars reach them (`npm run search:rebuild` goes through one).
 */
export function rebuildRoutes(rebuilds: Rebuilds): Router {
  const router = Router();

  router.post('/internal/v1/rebuilds', takesNoInput(), (_req, res) => {
    const running = rebuilds.running();
    if (running) {
      throw new AppError('SEARCH_REBUILD_RUNNING', 409, 'A rebuild is already running.', { id: running.id });
    }
    const status = rebuilds.start();
    res.status(202).location(`/internal/v1/rebuilds/${status.id}`).json(status);
  });

  router.get('/internal/v1/rebuilds/:id', takesNoInput(), (req, res) => {
    const { id } = parse(z.object({ id: z.uuid() }).strict(), req.params, 'params');
    const status = rebuilds.get(id);
    if (!status) throw new NotFoundError('SEARCH_REBUILD_NOT_FOUND', `No rebuild ${id} is known.`);
    res.json(status);
  });

  return router;
}
