/**
 * `status` on a job whose server the template names by its VM (SmsServer.fromVmName): the VM's name is what is
 * compared, not a ServerId the template does not have.
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
  emulator.addServer('s-0000beef', { vmName: 'web-01', vmManagerName: 'vc-east' });
  deployed = await deploy(jobStack('ByVm', { Web: { server: SmsServer.fromVmName('web-01', { vmManagerName: 'vc-east' }) } }), emulator, 'handler');
  api = await CloudFormationApi.start(deployed.view);
}, 60_000);

afterAll(async () => {
  await deployed.driver.close();
  await api.close();
  await emulator.close();
});

test('in sync: the job is on the VM the template names; exit 0', async () => {
  const result = await runCli(['status', '--stack', 'ByVm', '--json'], { sms: emulator.endpoint, cloudFormation: api.endpoint });
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  expect(validReport(result.stdout).stacks[0].jobs[0]).toMatchObject({
    server: { id: 's-0000beef', vmName: 'web-01' },
    drift: { status: 'IN_SYNC', differences: [], notCompared: [] },
  });
}, 60_000);

test('the job\'s VM is another one than the template names: MODIFIED /VmName; exit 1', async () => {
  const [job] = emulator.jobs();
  emulator.alterJob(job.replicationJobId, { vmServer: { ...job.vmServer, vmName: 'web-02' } });
  const result = await runCli(['status', '--stack', 'ByVm', '--json'], { sms: emulator.endpoint, cloudFormation: api.endpoint });
  expect(result.code).toBe(1);
  expect(validReport(result.stdout).stacks[0].jobs[0].drift.differences).toEqual([
    { propertyPath: '/VmName', expectedValue: 'web-01', actualValue: 'web-02', differenceType: 'NOT_EQUAL' },
  ]);
}, 60_000);
