/**
 * Construct Hub's view, reproduced: jsii-docgen renders README.md and the API reference for Python, Java, C# and Go,
 * with every example translated from rosetta's tablet (.jsii.tabl.json, which `npm test` writes before jest), as
 * Construct Hub does. Its prose is shown as written, in every language, so it must not speak TypeScript:
 *
 * - no object-literal spelling (`existingJob: ExistingJobPolicy.ADOPT`, `runOnce: true`) anywhere;
 * - in the API reference, no member named as TypeScript spells it where the language spells it otherwise: Python's
 *   docs say `existing_job`, Go's and C#'s `ExistingJob`, so JSDoc names a member in words ("the existing-job policy",
 *   "a job that runs once"), by a type (`ExistingJobPolicy.ADOPT`), or in an example, which rosetta translates. The
 *   member names come from the assemblies (this package's .jsii, and aws-cdk-lib's and constructs' for the members
 *   of theirs that prose may name, such as `node.defaultChild`); each language's spelling of this package's members
 *   comes from docgen's own anchors (`<a name="existing_job" id="...ReplicationJobProps.property.existingJob">`).
 *
 * README names properties as TypeScript does and says once how each language spells them (README, "In other
 * languages"): its prose is the one TypeScript-only context, so the member-name check reads the API reference only.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';

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

interface JsiiMethod { readonly name?: string; readonly parameters?: { readonly name: string }[] }
interface JsiiType {
  readonly fqn: string;
  readonly properties?: { readonly name: string }[];
  readonly methods?: JsiiMethod[];
  readonly initializer?: JsiiMethod;
  readonly members?: { readonly name: string }[];
}

/** A jsii assembly's types, following the redirect to a compressed `.jsii.gz` that aws-cdk-lib ships. */
function assemblyTypes(dir: string): JsiiType[] {
  let assembly = JSON.parse(fs.readFileSync(path.join(dir, '.jsii'), 'utf8'));
  if (assembly.schema === 'jsii/file-redirect') {
    assembly = JSON.parse(zlib.gunzipSync(fs.readFileSync(path.join(dir, assembly.filename))).toString('utf8'));
  }
  return Object.values(assembly.types ?? {});
}

/** The names of the properties, methods and (with `parameters`) parameters the given types declare. */
function memberNames(types: JsiiType[], parameters: boolean): Set<string> {
  const names = new Set<string>();
  for (const type of types) {
    for (const property of type.properties ?? []) names.add(property.name);
    for (const method of [...(type.methods ?? []), ...(type.initializer ? [type.initializer] : [])]) {
      if (method.name) names.add(method.name);
      if (parameters) for (const parameter of method.parameters ?? []) names.add(parameter.name);
    }
  }
  return names;
}

/** docgen's anchor ids of what this package declares: the docs it wrote itself, not those docgen shows of aws-cdk-lib. */
function declaredIds(types: JsiiType[]): Set<string> {
  const ids = new Set<string>();
  for (const type of types) {
    ids.add(type.fqn);
    for (const property of type.properties ?? []) ids.add(`${type.fqn}.property.${property.name}`);
    for (const member of type.members ?? []) ids.add(`${type.fqn}.${member.name}`);
    for (const method of [...(type.methods ?? []), ...(type.initializer ? [type.initializer] : [])]) {
      const at = `${type.fqn}.${method.name ?? 'Initializer'}`;
      ids.add(at);
      for (const parameter of method.parameters ?? []) ids.add(`${at}.parameter.${parameter.name}`);
    }
  }
  return ids;
}

const camelCase = (name: string) => /^[a-z][a-z0-9]*[A-Z]/.test(name);
const TYPES = assemblyTypes(ROOT);
const TYPE_NAMES = new Set(TYPES.map((type) => type.fqn.split('.').pop()));
const OWN = memberNames(TYPES, true);
const DECLARED = declaredIds(TYPES);
/** aws-cdk-lib's and constructs' properties and methods of more than one word (`node.defaultChild`). */
const DEPENDENCY = new Set([...memberNames([
  ...assemblyTypes(path.join(ROOT, 'node_modules', 'aws-cdk-lib')),
  ...assemblyTypes(path.join(ROOT, 'node_modules', 'constructs')),
], false)].filter(camelCase));

/**
 * The member names in this package's prose in an API reference that are TypeScript's spelling and not the language's,
 * each with its line. This package's prose: the text under an anchor of what it declares, and the table rows that link
 * to one (docgen also shows aws-cdk-lib's docs of inherited members and of Python's keyword arguments: not ours to
 * change). Prose is what is left without fenced blocks (examples, translated), headings and HTML tags (docgen's names
 * of members, in the language's spelling).
 *
 * - A name of this package of more than one word counts anywhere; one of one word (`role`) only in a code span, as
 *   the whole span or after one of this package's types (`ReplicationJobProvider.configure`): in running text, or in
 *   a path such as `detail.state`, it is something else. A name the language spells the
 *   same way for some member (Java's properties; Go's and C#'s parameters) is allowed: the reader cannot tell.
 * - A name of aws-cdk-lib or constructs counts in a code span, in Python, C# and Go (Java spells them as TypeScript).
 * - A name right after `:`, `/`, `@` or `-`, or before `-`, is part of something else (a warning id, a feature flag).
 */
function typeScriptMemberNames(markdown: string, language: (typeof LANGUAGES)[number]): string[] {
  const spelled = new Map<string, Set<string>>();
  for (const [, name, id] of markdown.matchAll(/<a name="([^"]+)" id="cdk-sms-replication-job\.[^"]*?([A-Za-z0-9_]+)"/g)) {
    spelled.set(id, (spelled.get(id) ?? new Set()).add(name));
  }
  const found: string[] = [];
  let ours = false;
  const text = markdown.replace(/^```[\s\S]*?^```$/gm, '');
  for (const line of text.split('\n')) {
    const anchor = /^#.* id="([^"]+)"/.exec(line);
    if (anchor) ours = DECLARED.has(anchor[1]);
    if (line.startsWith('#')) continue;
    const row = /^\| <code><a href="#([^"]+)"/.exec(line);
    if (!(row ? DECLARED.has(row[1]) : ours)) continue;
    const prose = line.replace(/<[^>]+>/g, '');
    const spans = [...prose.matchAll(/`([^`]+)`/g)].map((m) => ({ from: m.index + 1, to: m.index + 1 + m[1].length, whole: m[1] }));
    for (const word of prose.matchAll(/(?<![\w:/@$-])[A-Za-z_]\w*(?![\w-])/g) as IterableIterator<RegExpMatchArray & { index: number }>) {
      const name = word[0];
      const span = spans.find((s) => word.index >= s.from && word.index < s.to);
      const sameSomewhere = spelled.get(name)?.has(name) ?? false;
      const qualifier = span ? /(\w+)\.$/.exec(prose.slice(span.from, word.index)) : null;
      const member = span?.whole === name || (qualifier !== null && TYPE_NAMES.has(qualifier[1]));
      const own = OWN.has(name) && (camelCase(name) || member) && !sameSomewhere;
      const dependency = span !== undefined && language !== 'java' && DEPENDENCY.has(name) && !sameSomewhere;
      if (own || dependency) found.push(`${name}: ${prose.trim()}`);
    }
  }
  return found;
}

test.each(LANGUAGES)('%s: the API reference names no member as TypeScript spells it', (language) => {
  expect(typeScriptMemberNames(docs[language].api, language)).toEqual([]);
});
