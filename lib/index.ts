export * from './replication-job';
