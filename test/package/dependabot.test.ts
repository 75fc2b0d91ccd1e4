/**
 * Dependabot (.github/dependabot.yml) proposes aws-cdk-lib, jsii and the SMS client bundled into the handler each in a
 * pull request of its own, so that each moves deliberately, for the reasons CONTRIBUTING.md's Develop section gives. A group
 * holds each dependency that one of its `patterns` matches and none of its `exclude-patterns` does (`*` matches any run
 * of characters). The groups must not overlap: Dependabot does not reliably pick the first (dependabot-core#11093).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';

interface Update {
  readonly 'package-ecosystem': string;
  readonly 'versioning-strategy'?: string;
  readonly ignore?: { readonly 'dependency-name': string; readonly 'update-types'?: string[] }[];
  readonly groups: Record<string, { readonly patterns: string[]; readonly 'exclude-patterns'?: string[] }>;
}

const ROOT = path.join(__dirname, '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const npm: Update = parse(fs.readFileSync(path.join(ROOT, '.github', 'dependabot.yml'), 'utf8')).updates
  .find((u: Update) => u['package-ecosystem'] === 'npm');

const matches = (pattern: string, name: string) =>
  new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\/]/g, '\\$&')).join('.*')}$`).test(name);
const groupsOf = (name: string) => Object.entries(npm.groups)
  .filter(([, g]) => g.patterns.some((p) => matches(p, name)) && !(g['exclude-patterns'] ?? []).some((p) => matches(p, name)))
  .map(([group]) => group);
const groupOf = (name: string) => {
  const groups = groupsOf(name);
  if (groups.length !== 1) throw new Error(`${name} is in ${groups.length} groups (${groups.join(', ')}), not in exactly one`);
  return groups[0];
};
const catchAll = Object.entries(npm.groups).find(([, g]) => g.patterns.includes('*'))?.[0];

test('aws-cdk-lib, jsii and @aws-sdk/client-sms are each in a group of their own, apart from the other dev tools', () => {
  const groups = ['aws-cdk-lib', 'jsii', '@aws-sdk/client-sms'].map(groupOf);
  expect(groups).not.toContain(catchAll);
  expect(new Set(groups).size).toBe(3);
});

test('every dependency is in exactly one group', () => {
  const names = [...Object.keys(pkg.devDependencies), ...Object.keys(pkg.peerDependencies)];
  expect(names.map((name) => [name, groupsOf(name).length]).filter(([, n]) => n !== 1)).toEqual([]);
});

test('TypeScript moves with jsii, which compiles with it', () => {
  expect(groupOf('typescript')).toBe(groupOf('jsii'));
});

test('every dependency bundled into the handler, and esbuild that bundles it, moves with the SMS client', () => {
  // Made by `npm run bundle` (npm test bundles before jest runs): the packages inside assets/handler/index.js.
  const bundled: { name: string }[] = JSON.parse(fs.readFileSync(path.join(ROOT, 'assets', 'handler-packages.json'), 'utf8'));
  const direct = bundled.map((p) => p.name).filter((name) => name in pkg.devDependencies);
  expect(direct).toContain('@aws-sdk/client-sms');
  for (const name of [...direct, 'esbuild']) expect([name, groupOf(name)]).toEqual([name, groupOf('@aws-sdk/client-sms')]);
});

describe('npm aliases, which install another version of a package on purpose', () => {
  const aliases = Object.entries(pkg.devDependencies as Record<string, string>).filter(([, spec]) => spec.startsWith('npm:'));
  const ignored = (name: string, updateType: string) => (npm.ignore ?? []).some((rule) =>
    matches(rule['dependency-name'], name) && (!rule['update-types'] || rule['update-types'].includes(updateType)));

  test('the ones that install a peer dependency\'s minimum are never updated', () => {
    const peerMinimums = aliases.filter(([, spec]) => Object.keys(pkg.peerDependencies).some((peer) => spec.startsWith(`npm:${peer}@`)));
    for (const [alias] of peerMinimums) expect([alias, ignored(alias, 'version-update:semver-patch')]).toEqual([alias, true]);
  });

  test('none is moved to another major', () => {
    for (const [alias] of aliases) expect([alias, ignored(alias, 'version-update:semver-major')]).toEqual([alias, true]);
  });
});

test('the peer dependency ranges are only widened, never raised: the peer minimum moves by hand', () => {
  expect(Object.keys(pkg.peerDependencies)).toContain('aws-cdk-lib');
  expect(npm['versioning-strategy']).toBe('increase-if-necessary');
});
