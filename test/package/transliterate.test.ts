/**
 * The assembly transliterates: jsii-pacmak generates the source of the Python, Java, .NET and Go bindings (code
 * generation only: no registry is reached and no compiler of those languages is needed), and the construct and its
 * props appear in each.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');
let outdir: string;

beforeAll(() => {
  outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'pacmak-'));
  // pacmak runs `npm pack` on the project, whose `prepack` is the whole build: it would delete and rebuild
  // assets/handler while other test files deploy it, and redo what `npm test` built already. Skip npm's scripts.
  execFileSync(path.join(ROOT, 'node_modules', '.bin', 'jsii-pacmak'), ['--code-only', '--outdir', outdir, '--rosetta-unknown-snippets', 'verbatim'],
    { cwd: ROOT, stdio: 'pipe', env: { ...process.env, npm_config_ignore_scripts: 'true' } });
}, 180_000);

afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

const read = (file: string) => fs.readFileSync(path.join(outdir, file), 'utf8');

test('Python: module cdk_sms_replication_job has ReplicationJob, its props in snake_case and LicenseType', () => {
  const init = read('python/src/cdk_sms_replication_job/__init__.py');
  expect(init).toMatch(/^class ReplicationJob\(/m);
  expect(init).toMatch(/^class ReplicationJobProps:/m);
  expect(init).toMatch(/^class LicenseType\(enum\.Enum\):/m);
  for (const prop of ['server: SmsServer', 'seed_replication_time: typing.Optional[datetime.datetime]', 'frequency', 'run_once', 'license_type', 'role', 'description', 'number_of_recent_amis_to_keep', 'encrypted', 'encryption_key', 'removal_policy']) {
    expect(init).toContain(prop);
  }
  expect(init).toContain('def from_replication_job_id(');
  expect(init).toContain('def on_ami_created(');
  expect(init).toMatch(/@jsii\.python\.classproperty\n    @jsii\.member\(jsii_name="amiId"\)\n    def ami_id\(cls\)/);
  expect(read('python/setup.py')).toContain('"name": "cdk-sms-replication-job"');
});

test('Python: the generated module is valid Python', () => {
  execFileSync('python3', ['-m', 'py_compile', path.join(outdir, 'python/src/cdk_sms_replication_job/__init__.py')], { stdio: 'pipe' });
});

test('Java, .NET and Go: the construct and its props are generated under the chosen names', () => {
  expect(read('java/src/main/java/io/github/cdk_sms_replication_job/ReplicationJob.java')).toContain('public class ReplicationJob extends io.github.cdk_sms_replication_job.ReplicationJobBase');
  expect(read('java/src/main/java/io/github/cdk_sms_replication_job/ReplicationJobBase.java')).toContain('public abstract class ReplicationJobBase extends software.amazon.awscdk.Resource');
  expect(read('java/src/main/java/io/github/cdk_sms_replication_job/ReplicationJobProps.java')).toContain('getServer()');
  expect(read('java/pom.xml')).toContain('<groupId>io.github.cdk-sms-replication-job</groupId>');
  expect(read('dotnet/CdkSmsReplicationJob/CdkSmsReplicationJob/ReplicationJob.cs')).toContain('public class ReplicationJob');
  expect(read('dotnet/CdkSmsReplicationJob/CdkSmsReplicationJob/ReplicationJobProps.cs')).toMatch(/public (CdkSmsReplicationJob\.)?SmsServer Server\b/);
  expect(read('go/cdksmsreplicationjob/ReplicationJob.go')).toContain('func NewReplicationJob(');
  expect(read('go/cdksmsreplicationjob/go.mod')).toContain('module github.com/cdk-sms-replication-job/cdk-sms-replication-job-go/cdksmsreplicationjob');
});
