import type { RequestHandler } from 'express';
import { z } from 'zod';
import { parse } from './validate';

/** The query of a route that reads none: an option it does not know is refused, not ignored. */
export const noQuery = z.object({}).strict();

/** The body of a route that reads none: absent, or the empty JSON object some clients always send. */
export const noBody = z.object({}).strict().optional();

/** Refuses, with 400 VALIDATION_FAILED, a query or a body on a route that reads neither. */
export function takesNoInput(): RequestHandler {
  return (req, _res, next) => {
    parse(noQuery, req.query, 'query');
    parse(noBody, req.body, 'body');
    next();
  };
}
