/**
 * README's example of a server named by its VM (issue 24) compiles with jsii-rosetta, and the Python after it is
 * rosetta's translation. (`npm test` compiles the assembly and extracts the README examples with jsii-rosetta before
 * jest runs.)
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');

test('README\'s SmsServer.fromVmName example compiles with jsii-rosetta, and the Python after it is its translation', () => {
  const tablet = JSON.parse(fs.readFileSync(path.join(ROOT, '.jsii.tabl.json'), 'utf8'));
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const snippet = Object.values<any>(tablet.snippets).find((s) => s.translations.$.source.includes('SmsServer.fromVmName(')
    && readme.includes(s.translations.$.source.trim()));
  expect(snippet?.didCompile).toBe(true);
  const after = readme.slice(readme.indexOf(snippet.translations.$.source.trim()));
  const python = /```python\n([\s\S]*?)```/.exec(after)?.[1];
  expect(python?.trim()).toEqual(snippet.translations.python.source.trim());
  expect(python).toContain('SmsServer.from_vm_name(');
  execFileSync('python3', ['-c', 'import ast, sys; ast.parse(sys.stdin.read())'], { input: python, stdio: ['pipe', 'pipe', 'pipe'] });
});

test('the section on naming the server by its VM comes right after README\'s first screen', () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const firstHeading = readme.split('\n').find((l) => l.startsWith('## '));
  expect(firstHeading).toBe('## Naming the server by its VM');
  const section = readme.slice(readme.indexOf(firstHeading!), readme.indexOf('\n## ', readme.indexOf(firstHeading!) + 1));
  expect(section).toContain('sms:GetServers');
  expect(section).toContain('sms:ImportServerCatalog');
  expect(section).toContain('ServerCatalogNotAvailable');
});
