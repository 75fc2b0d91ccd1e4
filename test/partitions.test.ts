/**
 * SMS last had endpoints in three partitions: us-west-2 (aws), cn-north-1 (aws-cn) and us-gov-west-1 (aws-us-gov).
 * Stacks in each name only their own partition, and the bundled SMS client finds each region's endpoint.
 */
import { SMSClient, GetReplicationJobsCommand } from '@aws-sdk/client-sms';
import { App, Stack, aws_iam as iam } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { RegionInfo } from 'aws-cdk-lib/region-info';
import { ReplicationJob, ReplicationJobProvider, SmsServer } from '../lib';
import { settingsFor } from './locked-down';

const SMS_REGIONS = ['us-west-2', 'cn-north-1', 'us-gov-west-1'];
const SEED = new Date(Date.now() + 3 * 86_400_000);

/** Every string in a template, with the path of keys that leads to it. */
function strings(value: unknown, at: string[] = []): Array<{ at: string[]; text: string }> {
  if (typeof value === 'string') return [{ at, text: value }];
  if (Array.isArray(value)) return value.flatMap((v, i) => strings(v, [...at, String(i)]));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => strings(v, [...at, k]));
  return [];
}

describe.each(SMS_REGIONS)('a stack in %s', (region) => {
  const partition = RegionInfo.get(region).partition!;

  describe.each(['default', 'vpc and imported role'] as const)('with the %s provider', (setup) => {
    const stack = new Stack(new App(), 'Jobs', { env: { account: '123456789012', region } });
    const settings = settingsFor(stack, setup);
    if (settings) ReplicationJobProvider.configure(stack, settings);
    new ReplicationJob(stack, 'Job', { server: SmsServer.fromServerId('s-1'), seedReplicationTime: SEED, role: iam.Role.fromRoleName(stack, 'SmsRole', 'sms') });
    const template = Template.fromStack(stack).toJSON();
    const texts = strings(template);

    test(`every literal ARN is in ${partition}, and the others take \${AWS::Partition}`, () => {
      const arns = texts.filter((s) => s.text.startsWith('arn:'));
      expect(arns.filter((s) => s.text !== 'arn:' && !s.text.startsWith(`arn:${partition}:`))).toEqual([]);
      expect(texts.filter((s) => /\barn:aws(-[a-z-]+)?:/.test(s.text) && !s.text.startsWith(`arn:${partition}:`))).toEqual([]);
    });

    test('the only AWS domain names are service principals, each as aws-cdk-lib names it in this region', () => {
      const domains = texts.filter((s) => /amazonaws\.com/.test(s.text));
      // The default provider's role trusts Lambda and passes roles to SMS; with an imported role no principal is written.
      expect(domains.map((d) => d.text).sort()).toEqual(setup === 'default' ? ['lambda.amazonaws.com', 'sms.amazonaws.com'] : []);
      for (const { at, text } of domains) {
        expect(at.includes('Service') || at.includes('iam:PassedToService')).toBe(true);
        expect(text).toBe(stack.resolve(iam.ServicePrincipal.servicePrincipalName(text)));
      }
    });
  });
});

describe('the bundled SMS client', () => {
  /** The host the handler's client sends a request to in `region`, found by the client's own endpoint rules, offline. */
  async function hostIn(region: string): Promise<string> {
    const saved = { ...process.env };
    Object.assign(process.env, { AWS_REGION: region, AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE', AWS_SECRET_ACCESS_KEY: 'example' });
    delete process.env.AWS_ENDPOINT_URL_SMS;
    delete process.env.AWS_ENDPOINT_URL;
    try {
      let client: SMSClient | undefined;
      jest.isolateModules(() => {
        client = require('../lambda/sms').sms;
      });
      let host = '';
      // After the endpoint is resolved (serialize step), before signing and sending: nothing leaves the process.
      client!.middlewareStack.add((_next) => async (args) => {
        host = (args.request as { hostname: string }).hostname;
        throw Object.assign(new Error('stopped before sending'), { name: 'Stopped' });
      }, { step: 'build', priority: 'low' });
      await expect(client!.send(new GetReplicationJobsCommand({}))).rejects.toThrow('stopped before sending');
      return host;
    } finally {
      process.env = saved;
    }
  }

  test.each(SMS_REGIONS)('resolves the SMS endpoint of %s in its partition\'s domain', async (region) => {
    expect(await hostIn(region)).toBe(`sms.${region}.${RegionInfo.get(region).domainSuffix}`);
  });

  test('names the three hosts AWS published for SMS', async () => {
    expect(await Promise.all(SMS_REGIONS.map(hostIn))).toEqual([
      'sms.us-west-2.amazonaws.com',
      'sms.cn-north-1.amazonaws.com.cn',
      'sms.us-gov-west-1.amazonaws.com',
    ]);
  });
});
