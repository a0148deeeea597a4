/**
 * Domain errors carry a stable code, an HTTP status and context fields. They leave a service as
 * RFC 9457 problem+json; see `problem.ts`.
 */
export class AppError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    readonly context: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AppError';
  }
}

export class ValidationError extends AppError {
  constructor(readonly errors: { path: string; message: string }[]) {
    super('VALIDATION_FAILED', 400, 'The request does not match the expected schema.', { errors });
  }
}

export class UnauthorizedError extends AppError {
  constructor(code = 'AUTH_UNAUTHORIZED', message = 'Missing or invalid credentials.') {
    super(code, 401, message);
  }
}

export class NotFoundError extends AppError {
  constructor(code: string, message: string, context: Record<string, unknown> = {}) {
    super(code, 404, message, context);
  }
}

export class DependencyError extends AppError {
  constructor(dependency: string, message: string, options?: { cause?: unknown }) {
    super('DEPENDENCY_UNAVAILABLE', 503, message, { dependency }, options);
  }
}

/**
 * The caller went away before the work was done (its connection closed). Nobody reads the answer;
 * the code names it in logs, and work queued behind a busy resource is skipped rather than done.
 */
export class RequestAbandonedError extends AppError {
  constructor() {
    super('REQUEST_ABANDONED', 499, 'The caller closed the request before it was answered.');
  }
}
