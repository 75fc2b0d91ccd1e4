import { ReplicationJob } from '@aws-sdk/client-sms';
import { seedForNewJob } from '../../lambda/create';
import { changesFor } from '../../lambda/job-update';
import { Marker, describedWithMarker } from '../../lambda/ownership';
import { JobProperties } from '../../lambda/properties';

const HOUR = 3_600_000;
const marker: Marker = { owner: 'Prod/Job/0badc0de', token: '12345678', adopted: false };
const seed = new Date('2026-12-01T02:00:00Z');
const props: JobProperties = { serverId: 's-1', seedReplicationTime: seed, frequency: 12 };
const job: ReplicationJob = {
  replicationJobId: 'sms-job-1', serverId: 's-1', seedReplicationTime: seed, nextReplicationRunStartTime: seed,
  frequency: 12, runOnce: false, encrypted: false, description: describedWithMarker(undefined, marker),
};

describe('changesFor', () => {
  test('nothing when the job matches the template', () => {
    expect(changesFor(job, props, marker, undefined)).toBeUndefined();
  });

  test('only the fields that differ', () => {
    expect(changesFor(job, { ...props, frequency: 6, licenseType: 'AWS' }, marker, undefined))
      .toEqual({ replicationJobId: 'sms-job-1', frequency: 6, licenseType: 'AWS' });
  });

  test('a property the template left out goes back to SMS\'s default where SMS has one, and is left alone where not', () => {
    const changed = { ...job, numberOfRecentAmisToKeep: 3, encrypted: true, kmsKeyId: 'alias/k', licenseType: 'BYOL' as const };
    expect(changesFor(changed, props, marker, undefined)).toEqual({ replicationJobId: 'sms-job-1', numberOfRecentAmisToKeep: 0, encrypted: false });
  });

  test('a moved seed time in the future moves the next run, once', () => {
    const later = new Date(Date.now() + 48 * HOUR);
    expect(changesFor(job, { ...props, seedReplicationTime: later }, marker, later)).toEqual({ replicationJobId: 'sms-job-1', nextReplicationRunStartTime: later });
    expect(changesFor({ ...job, nextReplicationRunStartTime: later }, { ...props, seedReplicationTime: later }, marker, later)).toBeUndefined();
  });

  test('another marker (a new token) rewrites the description', () => {
    expect(changesFor(job, props, { ...marker, token: '87654321' }, undefined)).toEqual({ replicationJobId: 'sms-job-1', description: '[cfn:Prod/Job/0badc0de/87654321]' });
  });
});

describe('seedForNewJob', () => {
  const now = Date.parse('2026-12-10T09:30:00Z');

  test('the template\'s seed time while it is at least 15 minutes ahead', () => {
    const ahead = new Date(now + HOUR);
    expect(seedForNewJob({ ...props, seedReplicationTime: ahead }, now)).toEqual(ahead);
  });

  test('else the next time on the template\'s schedule at least 15 minutes ahead', () => {
    expect(seedForNewJob(props, now)).toEqual(new Date('2026-12-10T14:00:00Z'));
    expect(seedForNewJob(props, Date.parse('2026-12-10T13:50:00Z'))).toEqual(new Date('2026-12-11T02:00:00Z'));
    expect(seedForNewJob({ ...props, frequency: undefined }, now)).toEqual(new Date('2026-12-11T02:00:00Z'));
    expect(seedForNewJob({ ...props, frequency: undefined, runOnce: true }, now)).toEqual(new Date('2026-12-11T02:00:00Z'));
  });
});
