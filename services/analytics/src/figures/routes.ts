import { principalOf } from '@parley/identity';
import { ValidationError, noBody, parse } from '@parley/service-kit';
import { type RequestHandler, Router } from 'express';
import { z } from 'zod';
import { AdminRequiredError } from '../errors';
import type { FigureStore } from './figure-store';
import { buildReport } from './report';

/** Longest range one request may ask for, in days. */
export const MAX_RANGE_DAYS = 366;

/** The first day figures may be asked for: no Parley deployment holds anything older. */
export const FIRST_DAY = '2000-01-01';

/**
 * A day of the calendar from FIRST_DAY on: `2026-02-31` is refused, not read as 3 March, and so is
 * `0000-01-01`, which would only ever answer empty figures. Four-digit years (the format's own
 * limit) end the range; ISO dates of one width compare as text.
 */
const day = z.iso
  .date('must be a day such as 2026-01-31')
  .refine((value) => value >= FIRST_DAY, `must be ${FIRST_DAY} or later`);

const rangeQuery = z.object({ from: day, to: day }).strict();

/** Lets through only a bearer with the `admin` role. */
export function requireAdmin(): RequestHandler {
  return (req, _res, next) => {
    next(principalOf(req).roles.includes('admin') ? undefined : new AdminRequiredError());
  };
}

/** `GET /v1/analytics/daily?from=&to=`: per-day figures and totals, for administrators. */
export function figureRoutes(store: FigureStore, authenticate: RequestHandler): Router {
  const router = Router();

  router.get('/v1/analytics/daily', authenticate, requireAdmin(), async (req, res) => {
    const { from, to } = parse(rangeQuery, req.query, 'query');
    parse(noBody, req.body, 'body');
    const span = (Date.parse(to) - Date.parse(from)) / 86_400_000;
    if (Number.isNaN(span) || span < 0 || span >= MAX_RANGE_DAYS) {
      throw new ValidationError([
        { path: 'query.to', message: `must be a valid day from \`from\` to ${MAX_RANGE_DAYS} days after it` },
      ]);
    }
    res.json(await buildReport(store, from, to));
  });

  return router;
}
