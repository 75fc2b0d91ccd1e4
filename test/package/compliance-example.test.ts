/**
 * README "Compliance": its compliant configuration, run as written (the TypeScript block that adds the five packs),
 * synthesizes with zero findings in every pack of cdk-nag 3, without an acknowledgment of its own.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import * as ts from 'typescript';
import { findingsIn } from './synth-checks';

const ROOT = path.join(__dirname, '..', '..');
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const compliance = README.slice(README.indexOf('\n## Compliance\n'), README.indexOf('\n## ', README.indexOf('\n## Compliance\n') + 1));
const [example] = [...compliance.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]).filter((code) => code.includes('new PCIDSS321Checks(app)'));

/** Runs the example as CommonJS, with the library from this repository, and returns its app. */
function runExample(code: string): App {
  const js = ts.transpileModule(`${code}\nexport { app };\n`, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText;
  const exports: { app?: App } = {};
  const load = (name: string) => require(name === 'cdk-sms-replication-job' ? path.join(ROOT, 'lib') : name);
  new Function('require', 'exports', js)(load, exports);
  return exports.app!;
}

test('README "Compliance" has the compliant example, with no acknowledgment of its own', () => {
  expect(example).toBeDefined();
  expect(example).not.toMatch(/acknowledge|NagSuppressions/);
  for (const pack of ['AwsSolutionsChecks', 'NIST80053R5Checks', 'HIPAASecurityChecks', 'PCIDSS321Checks', 'ServerlessChecks']) {
    expect(example).toContain(`new ${pack}(app)`);
  }
});

test('the compliant example passes all five packs of cdk-nag 3 with no finding', () => {
  const app = runExample(example);
  try {
    app.synth();
  } catch (e) {
    if (!fs.existsSync(path.join(app.outdir, 'validation-report.json'))) throw e;
  }
  const findings = findingsIn(app.outdir);
  fs.rmSync(app.outdir, { recursive: true, force: true });
  expect(findings).toEqual([]);
  // The packs ran: the stack's provider is there, configured as the example says.
  expect(app.node.findAll().some((c) => c.node.path === 'Migration/SmsReplicationJobProvider/Handler')).toBe(true);
});

test('the same example without its settings draws the findings they answer (the test can fail)', () => {
  const bare = example.replace(/ReplicationJobProvider\.configure\(stack, \{[\s\S]*?\n\}\);\n/, '');
  expect(bare).not.toContain('configure(');
  const app = runExample(bare);
  try {
    app.synth();
  } catch (e) {
    if (!fs.existsSync(path.join(app.outdir, 'validation-report.json'))) throw e;
  }
  const rules = findingsIn(app.outdir).map((f) => f.rule).sort();
  fs.rmSync(app.outdir, { recursive: true, force: true });
  expect(rules).toEqual(['HIPAA.Security-LambdaInsideVPC', 'NIST.800.53.R5-LambdaInsideVPC', 'PCI.DSS.321-LambdaInsideVPC']);
});
