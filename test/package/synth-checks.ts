/**
 * Helpers for the tests that synthesize with cdk-nag: cdk-nag 3 as validation plugins (with template validation), and
 * cdk-nag 2 (the npm alias cdk-nag-v2, pinned to 2.38.2) as Aspects.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Aspects, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks, ServerlessChecks } from 'cdk-nag';
import * as V2 from 'cdk-nag-v2';

/** One finding of a validation report: the rule (with the wildcard it concerns, for IAM5) and the construct. */
export interface Finding {
  readonly plugin: string;
  readonly rule: string;
  readonly severity: string;
  readonly path: string;
}

/** The findings of the validation report in `outdir`, or none when no report was written. */
export function findingsIn(outdir: string): Finding[] {
  const file = path.join(outdir, 'validation-report.json');
  if (!fs.existsSync(file)) {
    return [];
  }
  const report = JSON.parse(fs.readFileSync(file, 'utf8'));
  return report.pluginReports.flatMap((plugin: any) => plugin.violations.flatMap((violation: any) =>
    violation.violatingConstructs.map((construct: any) => ({
      plugin: plugin.pluginName,
      rule: violation.ruleName,
      severity: violation.severity,
      path: construct.constructPath,
    }))));
}

/** The five rule packs of cdk-nag 3, by the prefix of their rule ids. */
export const PACKS_V3 = {
  'AwsSolutions': (app: App) => new AwsSolutionsChecks(app),
  'NIST.800.53.R5': (app: App) => new NIST80053R5Checks(app),
  'HIPAA.Security': (app: App) => new HIPAASecurityChecks(app),
  'PCI.DSS.321': (app: App) => new PCIDSS321Checks(app),
  'Serverless': (app: App) => new ServerlessChecks(app),
};
export type PackV3 = keyof typeof PACKS_V3;

/** A new app whose synth runs the given cdk-nag 3 packs (all five by default), writing into a fresh temporary folder. */
export function nagApp(context: Record<string, unknown> = {}, packs: PackV3[] = Object.keys(PACKS_V3) as PackV3[]): App {
  const app = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'nag-')), context });
  Validations.of(app).addPlugins(...packs.map((pack) => PACKS_V3[pack](app)));
  return app;
}

/** Synthesizes `app` and returns the validation report's findings; a synth that fails on them does not throw. */
export function synthFindings(app: App): Finding[] {
  try {
    app.synth();
  } catch (e) {
    if (!fs.existsSync(path.join(app.outdir, 'validation-report.json'))) {
      throw e;
    }
  }
  const findings = findingsIn(app.outdir);
  fs.rmSync(app.outdir, { recursive: true, force: true });
  return findings;
}

/** The cdk-nag 2 packs the tests run, by the prefix of their rule ids. */
export const PACKS_V2 = {
  'AwsSolutions': () => new V2.AwsSolutionsChecks(),
  'NIST.800.53.R5': () => new V2.NIST80053R5Checks(),
  'Serverless': () => new V2.ServerlessChecks(),
};
export type PackV2 = keyof typeof PACKS_V2;

/** A new app whose synth runs cdk-nag 2's packs as Aspects (all three above by default), as cdk-nag 2.38.2 users do. */
export function nagV2App(packs: PackV2[] = Object.keys(PACKS_V2) as PackV2[]): App {
  const app = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'nag2-')) });
  for (const pack of packs) Aspects.of(app).add(PACKS_V2[pack]());
  return app;
}

/**
 * Synthesizes `app` and returns what cdk-nag 2 reported: its errors and warnings (findings, and rules that could not
 * validate), read from the cloud assembly's annotations. Suppressed findings are info, so they are not among them.
 */
export function synthFindingsV2(app: App): Finding[] {
  const assembly = app.synth();
  const findings = assembly.stacks.flatMap((stack) => stack.messages
    .filter((m) => m.level === 'error' || m.level === 'warning')
    .map((m) => ({ message: String(m.entry.data), path: m.id.slice(1), level: m.level }))
    .filter((m) => /^(AwsSolutions|Serverless|NIST\.800\.53\.R5|HIPAA\.Security|PCI\.DSS\.321|CdkNagValidationFailure)-/.test(m.message))
    .map((m) => ({ plugin: m.message.slice(0, m.message.lastIndexOf('-', m.message.search(/: /))), rule: m.message.slice(0, m.message.search(/: /)), severity: m.level, path: m.path })));
  fs.rmSync(app.outdir, { recursive: true, force: true });
  return findings;
}
