import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { MAX_RESPONSE_BYTES, redactUrl, responseBody } from '../../lambda/cfn-response';

const event = {
  RequestType: 'Create',
  ServiceToken: 'arn:aws:lambda:us-west-2:123456789012:function:provider',
  ResponseURL: 'https://cloudformation-custom-resource-response-uswest2.s3.amazonaws.com/x?X-Amz-Signature=abc123',
  StackId: 'arn:aws:cloudformation:us-west-2:123456789012:stack/Stack/9b2f5d40-0000-11ef-8000-0a1b2c3d4e5f',
  RequestId: '6f0c3e4a-1b2c-4d5e-8f90-123456789abc',
  LogicalResourceId: 'Job',
  ResourceType: 'Custom::SmsReplicationJob',
  ResourceProperties: { ServiceToken: 'x' },
} as CloudFormationCustomResourceEvent;

describe('responseBody', () => {
  test('carries the fields CloudFormation reads', () => {
    const body = JSON.parse(responseBody(event, { status: 'SUCCESS', physicalResourceId: 'sms-job-1', data: { ReplicationJobId: 'sms-job-1' } }));
    expect(body).toEqual({
      Status: 'SUCCESS',
      Reason: '',
      PhysicalResourceId: 'sms-job-1',
      StackId: event.StackId,
      RequestId: event.RequestId,
      LogicalResourceId: 'Job',
      NoEcho: false,
      Data: { ReplicationJobId: 'sms-job-1' },
    });
  });

  test.each([
    ['ASCII', 'x'.repeat(10_000)],
    ['three-byte characters', '€'.repeat(10_000)],
    ['four-byte characters', '🚀'.repeat(10_000)],
    ['characters JSON escapes', '"\\\n\u0001'.repeat(3_000)],
  ])('cuts a 10 KB Reason of %s to fit 4096 bytes, on a character boundary', (_, reason) => {
    const body = responseBody(event, { status: 'FAILED', physicalResourceId: 'create-failed-1', reason });
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(MAX_RESPONSE_BYTES);
    const kept: string = JSON.parse(body).Reason;
    expect(kept.endsWith('…')).toBe(true);
    expect(reason.startsWith(kept.slice(0, -1))).toBe(true);
    // Nearly all of the room is used: one more character would not have fitted.
    expect(Buffer.byteLength(body)).toBeGreaterThan(MAX_RESPONSE_BYTES - 16);
  });

  test('leaves a Reason that fits alone', () => {
    const body = responseBody(event, { status: 'FAILED', physicalResourceId: 'x', reason: 'InternalError: boom' });
    expect(JSON.parse(body).Reason).toEqual('InternalError: boom');
  });
});

test('redactUrl drops the query string that carries the signature', () => {
  expect(redactUrl(event.ResponseURL)).toEqual('https://cloudformation-custom-resource-response-uswest2.s3.amazonaws.com/x');
});
