import { CfnParameter, Duration, Token, aws_iam as iam, aws_kms as kms } from 'aws-cdk-lib';
import { LicenseType, SmsServer } from '../../lib';
import { expectAnsweredInTime, expectNothingLeakedNothingLost, expectSignatureNotLogged, futureSeed, smsCallsDuring, world, World } from '../harness/world';

/** Sequences 1 and 10 of issue 3: what Create sends SMS, and what it refuses to send. */

jest.setTimeout(60_000);

const seed = futureSeed();
let w: World | undefined;

afterEach(async () => {
  await w?.close();
  w = undefined;
});

describe('sequence 1: Create sends typed values exactly as the API wants', () => {
  test('with every prop: each value has the API\'s type, the marker follows the description, and Delete removes the job', async () => {
    let keyArn = '';
    w = await world({
      jobs: {
        Job: (stack) => {
          const key = new kms.Key(stack, 'Key');
          keyArn = key.keyArn;
          return {
            server: SmsServer.fromServerId('s-1234abcd'),
            seedReplicationTime: seed,
            frequency: Duration.hours(12),
            runOnce: false,
            licenseType: LicenseType.BYOL,
            role: iam.Role.fromRoleName(stack, 'SmsRole', 'sms-replication'),
            description: 'Nightly replication of the database server',
            numberOfRecentAmisToKeep: 5,
            encrypted: true,
            encryptionKey: key,
          };
        },
      },
    });
    const { cfn, emulator } = w;
    const created = await cfn.create(w.jobs.Job);
    expectAnsweredInTime(created);
    expectSignatureNotLogged(created);
    expect(created.status).toBe('SUCCESS');

    const [request] = emulator.requestsFor('CreateReplicationJob');
    const expectedKeyArn = cfn.propertiesOf(w.jobs.Job, {}).KmsKeyId;
    expect(Token.isUnresolved(keyArn)).toBe(true);
    expect(expectedKeyArn).toMatch(/^arn:aws:kms:us-west-2:123456789012:key\//);
    expect(request.body).toEqual({
      serverId: 's-1234abcd',
      seedReplicationTime: seed.getTime() / 1000,
      frequency: 12,
      runOnce: false,
      licenseType: 'BYOL',
      roleName: 'sms-replication',
      description: expect.stringMatching(/^Nightly replication of the database server \S/),
      numberOfRecentAmisToKeep: 5,
      encrypted: true,
      kmsKeyId: expectedKeyArn,
    });
    const logicalId = cfn.logicalIdOf(w.jobs.Job);
    expect(request.body.description).toContain(cfn.stackName);
    expect(request.body.description).toContain(logicalId);

    const [job] = emulator.jobs();
    expect(created.physicalResourceId).toBe(job.replicationJobId);
    expect(created.data).toEqual({ ReplicationJobId: job.replicationJobId });
    expect(job).toMatchObject({ serverId: 's-1234abcd', frequency: 12, licenseType: 'BYOL', encrypted: true, kmsKeyId: expectedKeyArn });
    expectNothingLeakedNothingLost(emulator, [cfn]);

    const deleted = await cfn.delete(w.jobs.Job);
    expectAnsweredInTime(deleted);
    expect(deleted.status).toBe('SUCCESS');
    expect(emulator.requestsFor('DeleteReplicationJob').map((r) => r.body)).toEqual([{ replicationJobId: job.replicationJobId }]);
    expectNothingLeakedNothingLost(emulator, [cfn]);
  });

  test('with minimal props: no empty optional is sent, only the server, the seed time and the marker', async () => {
    w = await world({ jobs: { Job: { server: SmsServer.fromServerId('s-00000001'), seedReplicationTime: seed } } });
    const { cfn, emulator } = w;
    const created = await cfn.create();
    expectAnsweredInTime(created);
    expect(created.status).toBe('SUCCESS');
    const [request] = emulator.requestsFor('CreateReplicationJob');
    expect(request.body).toEqual({
      serverId: 's-00000001',
      seedReplicationTime: seed.getTime() / 1000,
      description: expect.stringContaining(cfn.logicalIdOf(w.jobs.Job)),
    });
    expectNothingLeakedNothingLost(emulator, [cfn]);
    await cfn.delete();
    expectNothingLeakedNothingLost(emulator, [cfn]);
  });

  test('a run-once job sends runOnce true and no frequency', async () => {
    w = await world({ jobs: { Job: { server: SmsServer.fromServerId('s-00000002'), seedReplicationTime: seed, runOnce: true, encrypted: false } } });
    const created = await w.cfn.create();
    expect(created.status).toBe('SUCCESS');
    const [request] = w.emulator.requestsFor('CreateReplicationJob');
    expect(request.body).toMatchObject({ runOnce: true, encrypted: false });
    expect(request.body).not.toHaveProperty('frequency');
    await w.cfn.delete();
    expectNothingLeakedNothingLost(w.emulator, [w.cfn]);
  });
});

describe('sequence 10: a property that decodes to nothing valid fails, naming it, before any SMS call', () => {
  test('a Frequency from a template parameter that is "lots"', async () => {
    w = await world({
      jobs: {
        Job: (stack) => ({
          server: SmsServer.fromServerId('s-00000010'),
          seedReplicationTime: seed,
          frequency: Duration.hours(new CfnParameter(stack, 'Hours', { type: 'Number' }).valueAsNumber),
        }),
      },
      parameters: { Hours: 'lots' },
    });
    const { cfn, emulator } = w;
    expect(cfn.propertiesOf(w.jobs.Job).Frequency).toBe('lots');
    const { result, calls } = await smsCallsDuring(emulator, () => cfn.create());
    expectAnsweredInTime(result);
    expect(result.status).toBe('FAILED');
    expect(result.reason).toContain('Frequency');
    expect(result.reason).toContain('lots');
    expect(result.physicalResourceId).not.toMatch(/^sms-job-/);
    expect(calls).toEqual([]);

    const rollback = await cfn.delete();
    expectAnsweredInTime(rollback);
    expect(rollback.status).toBe('SUCCESS');
    expectNothingLeakedNothingLost(emulator, [cfn]);
  });

  test.each([
    ['NumberOfRecentAmisToKeep', 'many'],
    ['Frequency', '1.5'],
    ['RunOnce', 'yes'],
    ['Encrypted', 'TRUE '],
    ['LicenseType', 'byol'],
    ['SeedReplicationTime', 'next Tuesday'],
    ['SeedReplicationTime', '2027-02-30T00:00:00Z'],
  ])('%s "%s"', async (property, value) => {
    w = await world({ jobs: { Job: { server: SmsServer.fromServerId('s-00000011'), seedReplicationTime: seed } } });
    const { cfn, emulator } = w;
    const { result, calls } = await smsCallsDuring(emulator, () => cfn.create(undefined, { [property]: value }));
    expectAnsweredInTime(result);
    expect(result.status).toBe('FAILED');
    expect(result.reason).toContain(property);
    expect(calls).toEqual([]);
    await cfn.delete();
    expectNothingLeakedNothingLost(emulator, [cfn]);
  });

  test('an Update to an undecodable value fails before any SMS call, and its rollback restores nothing because nothing changed', async () => {
    w = await world({ jobs: { Job: { server: SmsServer.fromServerId('s-00000012'), seedReplicationTime: seed, frequency: Duration.hours(6) } } });
    const { cfn, emulator } = w;
    await cfn.create();
    const before = emulator.jobs();
    const { result, calls } = await smsCallsDuring(emulator, () => cfn.update(w!.jobs.Job, { Frequency: 'lots' }));
    expectAnsweredInTime(result);
    expect(result.status).toBe('FAILED');
    expect(result.reason).toContain('Frequency');
    expect(result.physicalResourceId).toBe(before[0].replicationJobId);
    expect(calls).toEqual([]);
    expect(emulator.jobs()).toEqual(before);

    const rollback = await cfn.rollbackUpdate(w.jobs.Job);
    expectAnsweredInTime(rollback);
    expect(rollback.status).toBe('SUCCESS');
    expect(emulator.jobs()[0]).toMatchObject({ frequency: 6 });
    await cfn.delete();
    expectNothingLeakedNothingLost(emulator, [cfn]);
  });
});
