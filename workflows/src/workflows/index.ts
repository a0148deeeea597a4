// The worker bundles everything exported here; workflow code must stay deterministic.
export * from './platform-probe';
export * from './notify-recipient';
export * from './send-email';
export * from './invite-lifecycle';
export * from './media-processing';
