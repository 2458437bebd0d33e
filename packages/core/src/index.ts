export * from './errors.js';
export * from './config.js';
export * from './log.js';
export * from './ops-server.js';
export * from './topics.js';
export * from './schemas/index.js';
export * from './kafka/index.js';
export * from './elasticsearch.js';
