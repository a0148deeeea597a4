import type { Request } from 'express';
import { AppError } from '@parley/service-kit';

declare module 'express-serve-static-core' {
  interface Request {
    /** The raw body, read by the gateway itself; the proxy forwards it instead of the stream. */
    bufferedBody?: Buffer;
  }
}

/** Bodies of the rate-limited routes are small; a larger one is refused before it is read through. */
export const MAX_LIMITED_BODY_BYTES = 16 * 1024;

/**
 * Reads the body of a request the gateway must look into (to find the account a login names). A
 * declared or actual length beyond the cap is refused at once with 413, without reading it all.
 */
export async function readBody(req: Request): Promise<Buffer> {
  if (req.bufferedBody) return req.bufferedBody;
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_LIMITED_BODY_BYTES) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_LIMITED_BODY_BYTES) throw tooLarge();
    chunks.push(chunk);
  }
  req.bufferedBody = Buffer.concat(chunks);
  return req.bufferedBody;
}

/** A string field of a JSON body, lower-cased, or undefined when the body is not such an object. */
export function stringField(body: Buffer, field: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const value = (parsed as Record<string, unknown>)[field];
    return typeof value === 'string' && value.length <= 254 ? value.trim().toLowerCase() : undefined;
  } catch {
    return undefined;
  }
}

function tooLarge(): AppError {
  return new AppError('REQUEST_TOO_LARGE', 413, 'The request body is larger than this endpoint accepts.');
}
