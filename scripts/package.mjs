// `npm run package`, after `npm run build`: builds into dist/ what a release publishes, with jsii-pacmak, in the
// layout publib reads (dist/js/*.tgz, dist/python/*.whl, dist/java/ as a Maven repository, dist/dotnet/*.nupkg,
// dist/go/<module>/), then lists what it built and what it could not build here and why.
//
// Each target of package.json's jsii.targets is built on its own, so that one missing toolchain costs only that
// language: a target whose toolchain is not on PATH, or whose build fails (jsii-pacmak fetches setuptools, build and
// twine from PyPI for Python and Maven plugins from Maven Central for Java), has its generated sources written to
// dist/sources/<target>/ instead, and the reason is printed. The npm tarball must always build.
//
// `--require-all` fails unless every target was built: the release workflow uses it, so that a release never
// publishes to some registries only.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { delimiter, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const requireAll = process.argv.includes('--require-all');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const dist = join(root, pkg.jsii.outdir);
// jsii-pacmak leaves its scratch folders behind when a build fails: keep them where this script can remove them.
const scratch = join(root, '.tmp', 'package');

/** The commands jsii-pacmak builds each language with. */
const TOOLCHAINS = { js: [], python: ['python3'], java: ['mvn', 'java'], dotnet: ['dotnet'], go: ['go'] };

const onPath = (command) => (process.env.PATH ?? '').split(delimiter).some((dir) => existsSync(join(dir, command)));

function pacmak(args) {
  const started = Date.now();
  const result = spawnSync(join(root, 'node_modules', '.bin', 'jsii-pacmak'), args, {
    cwd: root,
    encoding: 'utf8',
    env: {
      ...process.env,
      TMPDIR: scratch,
      // `npm run build` has just built the package: jsii-pacmak's `npm pack` need not run prepack again.
      npm_config_ignore_scripts: 'true',
      // jsii-pacmak retries pip itself; pip's own five retries per attempt only lengthen a failure.
      PIP_RETRIES: process.env.PIP_RETRIES ?? '1',
    },
  });
  return { ok: result.status === 0, output: `${result.stdout}${result.stderr}`, seconds: (Date.now() - started) / 1000 };
}

/** The line of a failed build that says why: the first error that pip, Maven or another tool printed. */
function reasonOf(output) {
  const lines = output.split('\n')
    .map((line) => line.replace(/\x1b\[[0-9;]*m/g, '').replace(/^#STD(OUT|ERR)> /, '').trim())
    .filter((line) => line && !line.startsWith('!!'));
  const line = lines.find((l) => /^(ERROR:|\[ERROR\] \S|error:)/.test(l)) // pip, Maven, dotnet and go
    ?? lines.find((l) => /^Error: /.test(l)) // jsii-pacmak's own
    ?? lines.at(-1)
    ?? 'no output';
  return line.length > 400 ? `${line.slice(0, 250)} ... ${line.slice(-140)}` : line;
}

/** Every file under dir, relative to root, with its size. */
function filesUnder(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true })
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isFile())
    .map((path) => ({ path: relative(root, path), bytes: statSync(path).size }));
}

/** What publib publishes from a target's folder: the files a reader wants to see listed. */
const PUBLISHED = {
  js: /\.tgz$/,
  python: /\.(whl|tar\.gz)$/,
  java: /\.(jar|pom)$/,
  dotnet: /\.nupkg$/,
  go: /(^|\/)(go\.mod|version)$/,
};

rmSync(dist, { recursive: true, force: true });
rmSync(scratch, { recursive: true, force: true });
mkdirSync(scratch, { recursive: true });

const targets = ['js', ...Object.keys(pkg.jsii.targets)];
const built = [];
const notBuilt = [];
for (const target of targets) {
  const missing = (TOOLCHAINS[target] ?? []).filter((command) => !onPath(command));
  if (!(target in TOOLCHAINS)) {
    notBuilt.push({ target, reason: `scripts/package.mjs does not know the toolchain of the jsii target "${target}"` });
    continue;
  }
  if (missing.length > 0) {
    notBuilt.push({ target, reason: `no ${missing.map((c) => `\`${c}\``).join(' or ')} on PATH` });
    continue;
  }
  process.stdout.write(`jsii-pacmak --targets ${target} ... `);
  const run = pacmak(['--targets', target, '--outdir', dist, '--no-npmignore']);
  if (run.ok) {
    console.log(`built (${run.seconds.toFixed(0)} s)`);
    built.push(target);
  } else {
    console.log(`failed (${run.seconds.toFixed(0)} s)`);
    rmSync(join(dist, target), { recursive: true, force: true });
    notBuilt.push({ target, reason: reasonOf(run.output) });
  }
}

const sources = join(dist, 'sources');
if (notBuilt.length > 0) {
  const run = pacmak(['--code-only', '--targets', ...notBuilt.map((n) => n.target), '--outdir', sources, '--no-npmignore']);
  if (!run.ok) console.log(`Generating the sources of ${notBuilt.map((n) => n.target).join(', ')} failed too: ${reasonOf(run.output)}`);
}
rmSync(scratch, { recursive: true, force: true });

console.log(`\nBuilt into ${relative(root, dist)}/ (version ${pkg.version}):`);
for (const target of built) {
  for (const file of filesUnder(join(dist, target)).filter((f) => PUBLISHED[target].test(f.path))) {
    console.log(`  ${target.padEnd(7)} ${file.path} (${(file.bytes / 1024).toFixed(0)} KiB)`);
  }
}
if (notBuilt.length > 0) {
  console.log('\nNot built here:');
  for (const { target, reason } of notBuilt) {
    const generated = existsSync(join(sources, target)) ? `; its sources are in ${relative(root, join(sources, target))}/` : '';
    console.log(`  ${target.padEnd(7)} ${reason}${generated}`);
  }
}

if (!built.includes('js')) {
  console.error('\nThe npm tarball did not build.');
  process.exit(1);
}
if (requireAll && notBuilt.length > 0) {
  console.error(`\n--require-all: ${notBuilt.map((n) => n.target).join(', ')} did not build, and a release publishes every target.`);
  process.exit(1);
}
