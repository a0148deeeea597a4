export * from './checks';
export * from './external';
export * from './paths';
export * from './ports';
export * from './process';
export * from './secrets';
export * from './stack';
export * from './private-ferretdb';
