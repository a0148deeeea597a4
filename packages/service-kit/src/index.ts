// Brings pino-http's `req.log` and `req.id` into every service's Express types.
import 'pino-http';

export * from './config';
export * from './dapr';
export * from './errors';
export * from './events';
export * from './health';
export * from './http';
export * from './lifecycle';
export * from './logger';
export * from './metrics';
export * from './problem';
export * from './validate';
export * from './no-input';
export * from './probe';
export * from './mongo';
export * from './batcher';
export * from './batched-writes';
export * from './batched-publish';
export * from './event-parking';
export * from './paths';
export * from './periodic';
export * from './abandoned';
export * from './publish-outbox';
export * from './change-board';
