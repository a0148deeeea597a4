export * from './apps';
export * from './topics';
export * from './usage-events';
