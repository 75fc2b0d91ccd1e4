// Bundles lambda/index.ts, with @aws-sdk/client-sms inside it, into assets/handler/index.js.
// The folder is shipped in the npm tarball, so consumers in any jsii language need neither esbuild nor Docker.
// The output is deterministic (no source map, no absolute paths, no timestamps): the CDK asset hash of the
// folder only changes when the handler or its pinned dependencies change.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'assets', 'handler');
rmSync(outdir, { recursive: true, force: true });

await build({
  absWorkingDir: root,
  entryPoints: ['lambda/index.ts'],
  outfile: join(outdir, 'index.js'),
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  minify: true,
  legalComments: 'none',
  sourcemap: false,
  logLevel: 'warning',
});
