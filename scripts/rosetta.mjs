// Compiles README's TypeScript examples with jsii-rosetta in strict mode, against what `npm ci` installed.
//
// Left alone, jsii-rosetta runs `npm install` in a temporary folder for the package's jsiiRosetta.exampleDependencies
// (cdk-nag), a network request in every test run. Given a folder whose node_modules already holds every package the
// examples need (`--directory`), it installs nothing. This script makes that folder in the system's temporary
// directory, with links to this package, to the installed peer and example dependencies and to their dependencies
// (rosetta checks those are there too), and removes it after. package.json keeps exampleDependencies for those who
// compile the examples elsewhere (Construct Hub does).
//
// jsii-rosetta 5.9 still prints "packages necessary to compile examples missing from supplied directory: , , ,":
// its check awaits an array of promises, so it warns on every folder; the list of names it gives is empty.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const manifest = (dir) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
const self = manifest(root);

/** Where Node would find package `name` required from `from`: the nearest node_modules above it that has it. */
function locate(name, from) {
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
  }
  throw new Error(`${name} is not installed (needed from ${from}); run npm ci`);
}

/** The packages to link, by name: the examples' imports and, transitively, their non-bundled dependencies. */
const links = new Map([[self.name, root]]);
const queue = [...Object.keys(self.peerDependencies ?? {}), ...Object.keys(self.jsiiRosetta?.exampleDependencies ?? {})].map((name) => [name, root]);
for (let next = queue.shift(); next; next = queue.shift()) {
  const [name, from] = next;
  if (links.has(name)) continue;
  const dir = locate(name, from);
  links.set(name, dir);
  const pkg = manifest(dir);
  const bundled = new Set(pkg.bundleDependencies ?? pkg.bundledDependencies ?? []);
  for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.peerDependencies })) {
    if (!bundled.has(dep)) queue.push([dep, dir]);
  }
}

const dir = mkdtempSync(join(tmpdir(), 'rosetta-'));
let status = 1;
try {
  for (const [name, target] of links) {
    mkdirSync(dirname(join(dir, 'node_modules', name)), { recursive: true });
    symlinkSync(target, join(dir, 'node_modules', name), 'dir');
  }
  const bin = join(root, 'node_modules', '.bin', 'jsii-rosetta');
  status = spawnSync(bin, ['extract', '--strict', '--directory', dir, ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' }).status ?? 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.exit(status);
