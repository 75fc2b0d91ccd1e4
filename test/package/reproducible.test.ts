/**
 * Reproducible builds: the handler bundle, and so the CDK asset hash of assets/handler, depends only on the sources
 * and the locked dependencies, never on where or when it was built. Otherwise every clean build (a CI runner, a CDK
 * Pipelines synth step) would hash differently and CloudFormation would redeploy the provider for nothing.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FileSystem } from 'aws-cdk-lib';

const ROOT = path.join(__dirname, '..', '..');

/** Copies what the bundle is built from into a fresh folder (with fresh timestamps) and bundles it there. */
function cleanBuild(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  // lib/private/timing.ts: the provider's clocks, which lambda/budget.ts re-exports; latest-ami.ts and sms-events.ts: the
  // parameters' names and SMS's event, which lambda/latest-ami.ts shares with the construct.
  const shared = ['timing.ts', 'latest-ami.ts', 'sms-events.ts'].map((file) => `lib/private/${file}`);
  for (const entry of ['lambda', ...shared, 'scripts', 'package.json', 'tsconfig.json']) {
    fs.mkdirSync(path.dirname(path.join(dir, entry)), { recursive: true });
    fs.cpSync(path.join(ROOT, entry), path.join(dir, entry), { recursive: true, preserveTimestamps: false });
  }
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  execFileSync(process.execPath, ['scripts/bundle-handler.mjs'], { cwd: dir, stdio: 'pipe' });
  return dir;
}

test('two clean builds in different folders produce the same handler asset hash as the committed snapshot', () => {
  const first = cleanBuild('build-a-');
  const second = cleanBuild('a-longer-folder-name-build-b-');
  try {
    const hashOf = (dir: string) => FileSystem.fingerprint(path.join(dir, 'assets', 'handler'));
    expect(fs.readdirSync(path.join(first, 'assets', 'handler'))).toEqual(['index.js']);
    expect(hashOf(first)).toEqual(hashOf(second));
    expect(hashOf(first)).toEqual(hashOf(ROOT));

    // The committed snapshot was synthesized on another machine, in another folder: the same hash proves the
    // bundle does not depend on the checkout.
    const snapshot = fs.readFileSync(path.join(ROOT, 'test', 'integ.replication-job.snapshot', 'IntegSmsReplicationJob.template.json'), 'utf8');
    expect(snapshot).toContain(`"${hashOf(first)}.zip"`);
  } finally {
    fs.rmSync(first, { recursive: true, force: true });
    fs.rmSync(second, { recursive: true, force: true });
  }
});

test('the bundle holds no absolute path of the folder it was built in', () => {
  const dir = cleanBuild('build-path-');
  try {
    const bundle = fs.readFileSync(path.join(dir, 'assets', 'handler', 'index.js'), 'utf8');
    expect(bundle).not.toContain(dir);
    expect(bundle).not.toContain(fs.realpathSync(ROOT));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
