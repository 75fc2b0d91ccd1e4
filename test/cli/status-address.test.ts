/**
 * `status` on a job whose server the template names by its VM's address (SmsServer.fromVmServerAddress): the VM's
 * address is what is compared, not a ServerId the template does not have.
 */
import { SmsServer } from '../../lib';
import { CloudFormationApi } from '../harness/cfn-api';
import { SmsEmulator } from '../harness/sms-emulator';
import { Deployed, deploy, jobStack, runCli } from './fixture';
import { validReport } from './schema';

let emulator: SmsEmulator;
let api: CloudFormationApi;
let deployed: Deployed;

beforeAll(async () => {
  emulator = await SmsEmulator.start();
  emulator.addServer('s-0000beef', { vmName: 'web-01', vmManagerId: 'vmm-east', vmId: 'vm-101' });
  deployed = await deploy(jobStack('ByAddress', { Web: { server: SmsServer.fromVmServerAddress({ vmManagerId: 'vmm-east', vmId: 'vm-101' }) } }), emulator, 'handler');
  api = await CloudFormationApi.start(deployed.view);
}, 60_000);

afterAll(async () => {
  await deployed.driver.close();
  await api.close();
  await emulator.close();
});

test('in sync, then the job on another VM than the template\'s address: MODIFIED /VmId; exit 0, then 1', async () => {
  const inSync = await runCli(['status', '--stack', 'ByAddress', '--json'], { sms: emulator.endpoint, cloudFormation: api.endpoint });
  expect([inSync.stderr, inSync.code]).toEqual(['', 0]);
  expect(validReport(inSync.stdout).stacks[0].jobs[0]).toMatchObject({
    server: { id: 's-0000beef', vmName: 'web-01' },
    drift: { status: 'IN_SYNC', differences: [], notCompared: [] },
  });

  const [job] = emulator.jobs();
  emulator.alterJob(job.replicationJobId, { vmServer: { ...job.vmServer, vmServerAddress: { vmManagerId: 'vmm-east', vmId: 'vm-102' } } });
  const moved = await runCli(['status', '--stack', 'ByAddress', '--json'], { sms: emulator.endpoint, cloudFormation: api.endpoint });
  expect(moved.code).toBe(1);
  expect(validReport(moved.stdout).stacks[0].jobs[0].drift.differences).toEqual([
    { propertyPath: '/VmId', expectedValue: 'vm-101', actualValue: 'vm-102', differenceType: 'NOT_EQUAL' },
  ]);
}, 60_000);
