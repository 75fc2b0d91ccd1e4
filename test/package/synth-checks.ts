/** Helpers for the tests that synthesize with validation plugins (cdk-nag rule packs, template validation). */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';

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

/** A new app whose synth runs the AwsSolutions and Serverless packs, writing into a fresh temporary folder. */
export function nagApp(context: Record<string, unknown> = {}): App {
  const app = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'nag-')), context });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
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
