import { randomUUID } from 'node:crypto';

/**
 * An AMI event as SMS publishes it (source aws.sms, detail-type "Server Migration Job State Change") and EventBridge
 * delivers it to the provider function; without `amiId`, a state change that carries no AMI. The lifecycle tests and
 * bench/latest-ami.ts send it.
 */
export function amiEvent(jobId: string, amiId?: string, runId = `sms-run-${randomUUID().replace(/-/g, '').slice(0, 17)}`): Record<string, unknown> {
  return {
    'version': '0',
    'id': randomUUID(),
    'detail-type': 'Server Migration Job State Change',
    'source': 'aws.sms',
    'account': '123456789012',
    'time': new Date().toISOString(),
    'region': 'us-west-2',
    'resources': [],
    'detail': {
      'state': 'Completed',
      'replication-run-id': runId,
      'replication-job-id': jobId,
      ...(amiId ? { 'ami-id': amiId } : {}),
      'version': '2.0',
    },
  };
}
