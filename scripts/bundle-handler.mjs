// Bundles lambda/index.ts, with @aws-sdk/client-sms inside it, into assets/handler/index.js.
// The folder is shipped in the npm tarball, so consumers in any jsii language need neither esbuild nor Docker.
// The output is deterministic (no source map, no absolute paths, no timestamps): the CDK asset hash of the
// folder only changes when the handler or its pinned dependencies change.
//
// It also writes assets/handler-packages.json, beside the folder (not in it: the folder's contents are the asset
// hash): the npm packages the bundle contains, with their versions and licenses, from esbuild's metafile. NOTICE is
// generated from it (scripts/notice.mjs) and a test keeps the two in step.
//
// `node scripts/bundle-handler.mjs <outdir>` bundles into another folder, for the reproducibility test.
import { build } from 'esbuild';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = process.argv[2] ? resolve(process.argv[2]) : join(root, 'assets', 'handler');
rmSync(outdir, { recursive: true, force: true });

// The build's options, in scripts/handler-build.json so that the benchmark builds its variants the same way. Their
// mainFields put the SDK's ES modules first: esbuild drops what the handler never calls from them. From the CommonJS
// builds it keeps every command of a client, which made CloudFormation's client (one command used) a third of the
// bundle.
const options = JSON.parse(readFileSync(join(root, 'scripts', 'handler-build.json'), 'utf8'));
const result = await build({
  ...options,
  absWorkingDir: root,
  outfile: join(outdir, 'index.js'),
  metafile: true,
});

// Metafile inputs are paths relative to absWorkingDir, such as node_modules/@smithy/core/dist-cjs/index.js.
const packages = new Map();
for (const input of Object.keys(result.metafile.inputs)) {
  const match = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input.slice(input.lastIndexOf('node_modules/')));
  if (!match) continue;
  const dir = `${input.slice(0, input.lastIndexOf('node_modules/'))}node_modules/${match[1]}`;
  const manifest = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8'));
  packages.set(`${manifest.name}@${manifest.version}`, { name: manifest.name, version: manifest.version, license: manifest.license ?? 'UNKNOWN', dir });
}
const list = [...packages.values()].sort((a, b) => (a.name === b.name ? a.version.localeCompare(b.version) : a.name < b.name ? -1 : 1));
mkdirSync(dirname(outdir), { recursive: true });
writeFileSync(join(dirname(outdir), `${process.argv[2] ? 'bundle' : 'handler'}-packages.json`), JSON.stringify(list, null, 2) + '\n');
