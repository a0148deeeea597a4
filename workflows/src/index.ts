// What services import to start and query workflows. Workflow functions are imported as types only.
export * from './task-queue';
export type { PlatformProbeResult } from './workflows/platform-probe';
export type { EmailDelivery, EmailRequest } from './activities/email';
export * from './activities/notify-types';
export * from './workflows/invite-contract';
export type { MediaProcessingInput, MediaResult } from './activities/media';
export * from './activities/media-type';
export * from './activities/media-blobs';
