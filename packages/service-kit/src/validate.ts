import type { z } from 'zod';
import { ValidationError } from './errors';

/**
 * Parses untrusted input with a schema or throws a ValidationError listing every problem. Schemas
 * should be strict objects so that an unexpected field, or an object where a string belongs, is refused.
 */
export function parse<S extends z.ZodType>(schema: S, input: unknown, where = ''): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new ValidationError(
    result.error.issues.map((issue) => ({
      path: [where, ...issue.path.map(String)].filter(Boolean).join('.'),
      message: issue.message,
    })),
  );
}
