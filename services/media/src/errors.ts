import { AppError } from '@parley/service-kit';

/**
 * Domain errors of the media service, each with a stable code (listed in the README). Media the
 * caller may not see is reported exactly like media that does not exist.
 */
export class MediaNotFoundError extends AppError {
  constructor(mediaId: string) {
    super('MEDIA_NOT_FOUND', 404, 'No such media.', { mediaId });
  }
}

export class MediaTooLargeError extends AppError {
  constructor(limitBytes: number) {
    super('MEDIA_TOO_LARGE', 413, `The file is larger than the ${limitBytes} bytes accepted.`, {
      limitBytes,
    });
  }
}

/** A streamed body that ran past the length declared for it; nothing of it is kept. */
export class LongerThanDeclaredError extends AppError {
  constructor(declaredBytes: number) {
    super(
      'MEDIA_LONGER_THAN_DECLARED',
      400,
      `The body ran past the ${declaredBytes} bytes its declared length announced.`,
      { declaredBytes },
    );
  }
}

export class QuotaExceededError extends AppError {
  constructor(quotaBytes: number, usedBytes: number) {
    super('MEDIA_QUOTA_EXCEEDED', 413, 'This upload would exceed your storage quota.', {
      quotaBytes,
      usedBytes,
    });
  }
}

export class UploadRateLimitedError extends AppError {
  constructor(readonly retryAfterSeconds: number) {
    super('RATE_LIMITED', 429, `Too many uploads; try again in ${retryAfterSeconds} seconds.`, {
      retryAfter: retryAfterSeconds,
    });
  }
}

export class MediaStateError extends AppError {
  constructor(code: string, message: string, context: Record<string, unknown> = {}) {
    super(code, 409, message, context);
  }
}
