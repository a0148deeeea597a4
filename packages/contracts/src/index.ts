export * from './apps';
export * from './headers';
export * from './topics';
export * from './chat-events';
export * from './usage-events';
export * from './media-events';
export * from './message-ids';
export * from './text-rules';
