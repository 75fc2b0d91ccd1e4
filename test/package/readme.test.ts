/**
 * README is for users: its first screen (everything above the first `##` heading) says what the library is, who can
 * use it today and shows one example, in one terminal screen; the maintainers' material lives in CONTRIBUTING.md.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');
const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const contributing = fs.readFileSync(path.join(ROOT, 'CONTRIBUTING.md'), 'utf8');
const firstScreen = readme.slice(0, readme.indexOf('\n## '));
const headings = (text: string) => text.split('\n').filter((l) => /^##? /.test(l));

test('the first screen fits a 40-line terminal and holds one TypeScript example', () => {
  expect(firstScreen.split('\n').length).toBeLessThanOrEqual(40);
  expect(firstScreen.match(/^```ts$/gm)).toHaveLength(1);
  expect(firstScreen).toContain('new ReplicationJob(');
});

test('the first screen says who can use SMS today, and what those who cannot get and should use', () => {
  expect(firstScreen).toMatch(/\*\*Who can use it today\.\*\*/);
  expect(firstScreen).toContain('January 1, 2022');
  expect(firstScreen).toContain('UnauthorizedOperationException');
  expect(firstScreen).toContain('Application Migration Service (MGN)');
});

test('the newcomer\'s two commands are on the first screen, with a link to CONTRIBUTING.md', () => {
  expect(firstScreen).toContain('`npm ci && npm run build && npx cdk synth`');
  expect(firstScreen).toContain('`npm test`');
  expect(firstScreen).toContain('(./CONTRIBUTING.md)');
});

test('the maintainers\' sections are in CONTRIBUTING.md, not in README', () => {
  for (const section of ['## Develop', '## Benchmarks', '## Releasing']) {
    expect(headings(contributing)).toContain(section);
    expect(headings(readme)).not.toContain(section);
  }
  expect(readme).not.toContain('Pinned tools, and why');
  expect(contributing).toContain('Pinned tools, and why');
});

test('every link from README to a section of itself or of CONTRIBUTING.md finds its heading', () => {
  // GitHub's anchors: lower case, spaces to hyphens, punctuation other than hyphens dropped.
  const anchors = (text: string) => new Set(text.split('\n').filter((l) => /^#+ /.test(l))
    .map((l) => l.replace(/^#+ /, '').toLowerCase().replace(/[^\p{L}\p{N} -]/gu, '').replace(/ /g, '-')));
  const targets: Record<string, Set<string>> = { '': anchors(readme), './CONTRIBUTING.md': anchors(contributing), './README.md': anchors(readme) };
  const broken: string[] = [];
  for (const [text, name] of [[readme, 'README.md'], [contributing, 'CONTRIBUTING.md']] as const) {
    for (const [, file, anchor] of text.matchAll(/\]\(((?:\.\/(?:README|CONTRIBUTING)\.md)?)#([^)]+)\)/g)) {
      const within = file === '' && name === 'CONTRIBUTING.md' ? anchors(contributing) : targets[file];
      if (!within.has(anchor)) broken.push(`${name}: ${file}#${anchor}`);
    }
  }
  expect(broken).toEqual([]);
});
