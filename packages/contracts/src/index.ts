export * from './apps';
export * from './topics';
