/**
 * Synthesizes the stacks and measures them: wall time of the synth, and what CloudFormation and IAM would count.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Library, STACK_NAME, buildStack } from './stacks';
import { Template, inlinePolicyCharsByRole } from './template';

/** The context the CDK CLI gives an app on `cdk synth`, so that the templates are the ones `cdk deploy` sends. */
export const CLI_CONTEXT = {
  'aws:cdk:enable-path-metadata': true,
  'aws:cdk:enable-asset-metadata': true,
  'aws:cdk:version-reporting': true,
  // CDK refuses to synthesize more than CloudFormation's 500 resources; the benchmark measures past the quota
  // (the stacks are never deployed) and reports where each would stop.
  '@aws-cdk/core:stackResourceLimit': 100_000,
};

export interface SynthResult {
  readonly library: Library;
  readonly jobs: number;
  /** Wall time of building the construct tree and synthesizing it to disk. */
  readonly ms: number;
  readonly template: Template;
  readonly stackName: string;
  /** Bytes of the template file as written (and uploaded by `cdk deploy`). */
  readonly templateBytes: number;
  readonly resources: number;
  readonly resourcesByType: Record<string, number>;
  /** The most inline policy characters attached to one role of the stack. */
  readonly maxRolePolicyChars: number;
}

/**
 * Builds and synthesizes one stack in a fresh App into `outdir`. `npm test` rebuilds assets/handler (deleting it
 * first), so a synth that finds the folder missing waits a moment and starts over.
 */
export function synth(library: Library, jobs: number, seed: Date, outdir: string, context: Record<string, unknown> = {}): SynthResult {
  for (let attempt = 1; ; attempt++) {
    try {
      return synthOnce(library, jobs, seed, outdir, context);
    } catch (e) {
      if (attempt >= 10 || !/Cannot find asset/.test((e as Error).message)) throw e;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
    }
  }
}

function synthOnce(library: Library, jobs: number, seed: Date, outdir: string, context: Record<string, unknown> = {}): SynthResult {
  fs.rmSync(outdir, { recursive: true, force: true });
  const start = performance.now();
  const app = new App({ outdir, context: { ...CLI_CONTEXT, ...context } });
  buildStack(app, library, jobs, seed);
  const assembly = app.synth();
  const ms = performance.now() - start;

  const name = STACK_NAME;
  const artifact = assembly.getStackByName(name);
  const template = artifact.template as Template;
  const resourcesByType: Record<string, number> = {};
  for (const resource of Object.values(template.Resources)) {
    resourcesByType[resource.Type] = (resourcesByType[resource.Type] ?? 0) + 1;
  }
  const policies = [...inlinePolicyCharsByRole(template, name).values()];
  return {
    library,
    jobs,
    ms,
    template,
    stackName: name,
    templateBytes: fs.statSync(path.join(outdir, artifact.templateFile)).size,
    resources: Object.keys(template.Resources).length,
    resourcesByType,
    maxRolePolicyChars: Math.max(0, ...policies),
  };
}
