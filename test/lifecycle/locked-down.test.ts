/**
 * The Update and Delete sequences (each begins with its Creates) and the Create failures again, on a provider
 * configured as a locked-down account would: in a VPC, running as a role the stack imports and cannot change, logging
 * to a log group given by name. Nothing the handler does may depend on those settings, so the very same sequences
 * (imported below, not copied) must pass unchanged.
 *
 * What the driver cannot show: the network of the VPC (the function runs on this machine's) and IAM (the emulator
 * checks no permission). The construct tests cover the permissions the role must hold (test/provider.test.ts).
 */
import { settingsFor } from '../locked-down';
import { futureSeed, useProviderSettings, world, World } from '../harness/world';
import './update.test';
import './delete-and-create-errors.test';
import { SmsServer } from '../../lib';

useProviderSettings((stack) => settingsFor(stack, 'vpc and imported role')!);

let w: World | undefined;

afterEach(async () => {
  await w?.close();
  w = undefined;
});

test('the driver runs the configured function: in the VPC, as the imported role, and Create and Delete still succeed', async () => {
  w = await world({ jobs: { Job: { server: SmsServer.fromServerId('s-0f0f0f0f'), seedReplicationTime: futureSeed() } } });
  const logicalId = w.cfn.logicalIdOf(w.jobs.Job);
  const fn = w.cfn.functionOf(logicalId);
  expect(fn.role).toBe('arn:aws:iam::123456789012:role/sms-replication-job-provider');
  expect(fn.vpcConfig).toEqual({ subnetIds: ['subnet-0a1b2c3d4e5f60718', 'subnet-1a1b2c3d4e5f60718'], securityGroupIds: ['sg-0a1b2c3d4e5f60718'] });
  expect(w.cfn.template.Resources[fn.logicalId].Properties.LoggingConfig).toEqual({ LogGroup: '/locked-down/sms-replication-job' });
  expect(Object.values<any>(w.cfn.template.Resources).filter((r) => r.Type.startsWith('AWS::IAM::'))).toEqual([]);
  expect((await w.cfn.create(w.jobs.Job)).status).toBe('SUCCESS');
  expect((await w.cfn.delete(w.jobs.Job)).status).toBe('SUCCESS');
  expect(w.emulator.jobs()).toEqual([]);
});
