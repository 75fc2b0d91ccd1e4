import { IConstruct } from 'constructs';

/**
 * Synth state of one app, kept on the app (its construct tree's root) rather than in a module: a module-global
 * registry is shared by every app of the process and outlives them. The key is a global symbol, so that two copies of
 * this library in one app share it too.
 */
const CLAIMS = Symbol.for('cdk-sms-replication-job.serverClaims');

/** Which ReplicationJob (by path) claims each server of the app, by a key that says where and which server. */
export function serverClaims(scope: IConstruct): Map<string, string> {
  const root = scope.node.root as IConstruct & { [CLAIMS]?: Map<string, string> };
  root[CLAIMS] ??= new Map<string, string>();
  return root[CLAIMS];
}
