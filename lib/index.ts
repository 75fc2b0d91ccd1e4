export * from './replication-job';
export * from './private/provider';
