/**
 * Construct Hub's view, reproduced: jsii-docgen renders README.md and the API reference for Python, Java, C# and Go,
 * with every example translated from rosetta's tablet (.jsii.tabl.json, which `npm test` writes before jest), as
 * Construct Hub does. Its prose is shown as written, in every language, so it must not speak TypeScript:
 *
 * - no object-literal spelling (`existingJob: ExistingJobPolicy.ADOPT`, `runOnce: true`) anywhere: write
 *   "`existingJob` set to `ADOPT`";
 *
 * README names properties as TypeScript does and says once how each language spells them (README, "In other
 * languages").
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');
const LANGUAGES = ['python', 'java', 'csharp', 'go'] as const;
const FENCE: Record<(typeof LANGUAGES)[number], string> = { python: 'python', java: 'java', csharp: 'csharp', go: 'go' };

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'construct-hub-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const docs: Record<string, { readme: string; api: string }> = {};
beforeAll(() => {
  for (const language of LANGUAGES) {
    const file = path.join(dir, `API.${language}.md`);
    execFileSync(path.join(ROOT, 'node_modules', '.bin', 'jsii-docgen'), ['-l', language, '--readme', '-o', file], { cwd: ROOT, stdio: 'pipe' });
    const text = fs.readFileSync(file, 'utf8');
    const split = text.indexOf('# API Reference');
    expect(split).toBeGreaterThan(0);
    docs[language] = { readme: text.slice(0, split), api: text.slice(split) };
  }
}, 180_000);

/** The inline code spans of the prose: outside fenced blocks, without HTML tags (docgen's tables use <code>). */
function proseSpans(markdown: string): string[] {
  const prose = markdown.replace(/^```[\s\S]*?^```$/gm, '').replace(/<[^>]+>/g, '');
  return [...prose.matchAll(/`([^`\n]+)`/g)].map((m) => m[1]);
}

test.each(LANGUAGES)('%s: every README example is shown translated', (language) => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const typescript = (readme.match(/^```ts$/gm) ?? []).length;
  expect(typescript).toBeGreaterThan(0);
  expect((docs[language].readme.match(/^```ts$/gm) ?? []).length).toBe(0);
  expect((docs[language].readme.match(new RegExp(`^\`\`\`${FENCE[language]}$`, 'gm')) ?? []).length).toBeGreaterThanOrEqual(typescript);
});

test.each(LANGUAGES)('%s: no TypeScript object-literal spelling in the prose of README or the API reference', (language) => {
  const literal = /^[a-z]\w*: \S/;
  for (const part of ['readme', 'api'] as const) {
    expect({ part, spans: proseSpans(docs[language][part]).filter((s) => literal.test(s)) }).toEqual({ part, spans: [] });
  }
});
