export * from './claims';
export * from './middleware';
export * from './verifier';
export * from './key-set';
