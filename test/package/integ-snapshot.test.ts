/**
 * The integration snapshot: test/integ.replication-job.ts synthesized and compared, template by template, with the
 * committed test/integ.replication-job.snapshot/. A change to what the construct synthesizes (a property, a policy, a
 * logical id, the handler bundle through its asset hash) fails here until `npm run integ:update` records it, so the
 * change shows in review as a diff of the snapshot.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const SNAPSHOT = path.join(__dirname, '..', 'integ.replication-job.snapshot');

function synthesize(): Record<string, unknown> {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'integ-'));
  process.env.CDK_OUTDIR = outdir;
  try {
    jest.isolateModules(() => require('../integ.replication-job'));
  } finally {
    delete process.env.CDK_OUTDIR;
  }
  const templates: Record<string, unknown> = {};
  for (const file of fs.readdirSync(outdir).filter((f) => f.endsWith('.template.json')).sort()) {
    templates[file] = JSON.parse(fs.readFileSync(path.join(outdir, file), 'utf8'));
  }
  fs.rmSync(outdir, { recursive: true, force: true });
  return templates;
}

test('the synthesized templates match the committed integration snapshot', () => {
  const templates = synthesize();
  expect(Object.keys(templates)).toEqual(['IntegSmsReplicationJob.template.json']);

  if (process.env.INTEG_UPDATE) {
    fs.rmSync(SNAPSHOT, { recursive: true, force: true });
    fs.mkdirSync(SNAPSHOT);
    for (const [file, template] of Object.entries(templates)) {
      fs.writeFileSync(path.join(SNAPSHOT, file), JSON.stringify(template, null, 1) + '\n');
    }
  }

  const committed = fs.readdirSync(SNAPSHOT).sort();
  expect(committed).toEqual(Object.keys(templates));
  for (const file of committed) {
    const expected = JSON.parse(fs.readFileSync(path.join(SNAPSHOT, file), 'utf8'));
    // On a difference: review it, then `npm run integ:update` and commit the snapshot.
    expect(templates[file]).toEqual(expected);
  }
});

test('the snapshot names the handler asset that the bundle in assets/handler hashes to', () => {
  const { FileSystem } = require('aws-cdk-lib') as typeof import('aws-cdk-lib');
  const hash = FileSystem.fingerprint(path.join(__dirname, '..', '..', 'assets', 'handler'));
  const template = fs.readFileSync(path.join(SNAPSHOT, 'IntegSmsReplicationJob.template.json'), 'utf8');
  expect(template).toContain(`"${hash}.zip"`);
});
