// Bundles cli/index.ts, the `status` command, with the SMS and CloudFormation clients inside it, into
// assets/cli/index.js: the package's bin, so that `npx cdk-sms-replication-job status` runs with nothing else
// installed. Built with the handler's options (scripts/handler-build.json: the SDK's ES modules first, minified, no
// source map) plus a shebang. Like the handler's build, it writes the npm packages the bundle contains beside the
// folder (assets/cli-packages.json), for NOTICE (scripts/notice.mjs).
import { build } from 'esbuild';
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'assets', 'cli');
rmSync(outdir, { recursive: true, force: true });

const options = JSON.parse(readFileSync(join(root, 'scripts', 'handler-build.json'), 'utf8'));
const outfile = join(outdir, 'index.js');
const result = await build({
  ...options,
  entryPoints: ['cli/index.ts'],
  // The oldest Node the package supports (engines), not Lambda's runtime: users run it on their own machines.
  target: 'node20',
  banner: { js: '#!/usr/bin/env node' },
  absWorkingDir: root,
  outfile,
  metafile: true,
});
chmodSync(outfile, 0o755);

const packages = new Map();
for (const input of Object.keys(result.metafile.inputs)) {
  const match = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input.slice(input.lastIndexOf('node_modules/')));
  if (!match) continue;
  const dir = `${input.slice(0, input.lastIndexOf('node_modules/'))}node_modules/${match[1]}`;
  const manifest = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8'));
  packages.set(`${manifest.name}@${manifest.version}`, { name: manifest.name, version: manifest.version, license: manifest.license ?? 'UNKNOWN', dir });
}
const list = [...packages.values()].sort((a, b) => (a.name === b.name ? a.version.localeCompare(b.version) : a.name < b.name ? -1 : 1));
writeFileSync(join(root, 'assets', 'cli-packages.json'), JSON.stringify(list, null, 2) + '\n');
