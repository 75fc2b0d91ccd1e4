/**
 * README's example of launching from the replicas (issue 37) compiles with jsii-rosetta, the Python after it is
 * rosetta's translation, and it synthesizes: the test stack resolves its instance's image from the job's parameter.
 * (`npm test` compiles the assembly and extracts the README examples with jsii-rosetta before jest runs.)
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');

test('README\'s launching example compiles with jsii-rosetta, and the Python after it is its translation', () => {
  const tablet = JSON.parse(fs.readFileSync(path.join(ROOT, '.jsii.tabl.json'), 'utf8'));
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const snippet = Object.values<any>(tablet.snippets).find((s) => s.translations.$.source.includes('machineImage: database.latestAmi')
    && readme.includes(s.translations.$.source.trim()));
  expect(snippet?.didCompile).toBe(true);
  const after = readme.slice(readme.indexOf(snippet.translations.$.source.trim()));
  const python = /```python\n([\s\S]*?)```/.exec(after)?.[1];
  expect(python?.trim()).toEqual(snippet.translations.python.source.trim());
  expect(python).toContain('machine_image=database.latest_ami');
  execFileSync('python3', ['-c', 'import ast, sys; ast.parse(sys.stdin.read())'], { input: python, stdio: ['pipe', 'pipe', 'pipe'] });
});
