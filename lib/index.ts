export * from './replication-job';
export * from './provider';
export * from './replication-job-base';
export * from './events';
export * from './server';
