import { Transform } from 'node:stream';
import type { BlockBlobClient } from '@azure/storage-blob';
import type { Request } from 'express';

/** Thrown when the body passes its allowance; nothing beyond the allowance was stored. */
export class LimitExceeded extends Error {
  constructor(readonly limitBytes: number) {
    super(`the body passed ${limitBytes} bytes`);
    this.name = 'LimitExceeded';
  }
}

/** Staged blocks of this size, two at a time: the most an upload holds in memory. */
const BLOCK_BYTES = 4 * 1024 * 1024;
const PARALLEL_BLOCKS = 2;

/** How long after the refusal went out the connection is closed, so the peer reads it first. */
const CLOSE_DELAY_MS = 1_000;

/** A refused body of at most this declared length is read through rather than cut off. */
const MAX_DRAINED_BYTES = 64 * 1024 * 1024;

/**
 * Streams a request body into a block blob, counting bytes as they pass. The moment the count
 * passes `limitBytes` the upload is abandoned (its staged blocks are never committed) and
 * LimitExceeded is thrown, while the client may still be sending: the rest is read and dropped
 * until the error answer is out, then the connection is closed.
 */
export async function streamIntoBlob(
  req: Request,
  blob: BlockBlobClient,
  limitBytes: number,
): Promise<number> {
  let received = 0;
  const abort = new AbortController();
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      received += chunk.length;
      if (received > limitBytes) callback(new LimitExceeded(limitBytes));
      else callback(null, chunk);
    },
  });
  const stop = (err: Error) => {
    req.unpipe(counter);
    abort.abort();
    counter.destroy(err);
  };
  counter.once('error', (err) => {
    if (err instanceof LimitExceeded) {
      req.unpipe(counter);
      abort.abort();
    }
  });
  req.once('aborted', () => stop(new Error('the client went away during the upload')));
  req.once('error', (err) => stop(err));
  req.pipe(counter);
  try {
    await blob.uploadStream(counter, BLOCK_BYTES, PARALLEL_BLOCKS, {
      abortSignal: abort.signal,
      // The original is never served; should anyone reach it, it is an opaque download.
      blobHTTPHeaders: { blobContentType: 'application/octet-stream', blobContentDisposition: 'attachment' },
    });
  } catch (err) {
    if (received > limitBytes) {
      lingerThenClose(req);
      throw new LimitExceeded(limitBytes);
    }
    throw err;
  }
  if (received > limitBytes) {
    lingerThenClose(req);
    throw new LimitExceeded(limitBytes);
  }
  return received;
}

/**
 * Lets a refusal reach the client while it is still sending. The sidecars relay an answer only
 * once the body stops flowing, so the rest of the body is read and dropped: through to its end
 * when its declared length is modest, otherwise (no length, a huge one, or a body that already
 * ran past its length) until the answer is out, after which the connection is closed.
 */
export function lingerThenClose(req: Request, declaredBytes?: number): void {
  if (req.complete) return;
  req.resume();
  if (declaredBytes !== undefined && declaredBytes <= MAX_DRAINED_BYTES) return;
  // Not `connection: close`: Node would then close the socket the moment the answer is written,
  // and a socket closed while the sidecar is still sending is reset, which can beat the answer to
  // the sidecar (it then reports a failed call, not the refusal). Reading on for a moment first
  // lets the answer be read before the close stops the body.
  req.res?.once('finish', () => {
    setTimeout(() => req.socket.destroy(), CLOSE_DELAY_MS).unref();
  });
}
