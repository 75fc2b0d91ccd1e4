/**
 * The examples users read in five languages. jsii-rosetta (`npm run rosetta`, run by `npm test` before jest) compiles
 * every TypeScript example of README.md and of the JSDoc in strict mode and writes its Python, Java, C# and Go
 * translations to .jsii.tabl.json, which Construct Hub shows. Rosetta translates an expression it has no mapping for
 * word for word (`new Date('...')` becomes `Date("...")` in Python, `new Date(...)` in Java and C#, `NewDate(...)` in
 * Go): it compiles in TypeScript and nowhere else. These tests read the translations for such expressions, and run
 * every README example to a cloud assembly, offline.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ts from 'typescript';

const ROOT = path.join(__dirname, '..', '..');

interface Snippet {
  readonly where: string;
  readonly didCompile: boolean;
  readonly fqnsReferenced: string[];
  readonly translations: Record<'$' | 'python' | 'java' | 'csharp' | 'go', { source: string }>;
}

const tablet = JSON.parse(fs.readFileSync(path.join(ROOT, '.jsii.tabl.json'), 'utf8'));
const snippets: Snippet[] = Object.values<any>(tablet.snippets).map((s) => ({
  where: `${s.location.api.api === 'moduleReadme' ? 'README.md' : s.location.api.fqn} line ${s.location.field?.line ?? '?'}`,
  didCompile: s.didCompile,
  fqnsReferenced: s.fqnsReferenced ?? [],
  translations: s.translations,
}));

/** The values rosetta/default.ts-fixture declares for the examples (`declare const firstRun: Date;`). */
const fixture = fs.readFileSync(path.join(ROOT, 'rosetta', 'default.ts-fixture'), 'utf8');
const declared = [...fixture.matchAll(/^declare const (\w+): (\w+);/gm)].map(([, name, type]) => ({ name, type }));

/** What each declared value is when the examples run (the README shows each language's way to make it). */
const runtimeValues: Record<string, string> = {
  firstRun: 'new Date(\'2027-01-04T02:00:00Z\')',
};

/** JavaScript's global objects: rosetta passes them through, and no other jsii language has them. */
const JS_GLOBALS = ['Date', 'Map', 'Set', 'WeakMap', 'RegExp', 'Promise', 'Error', 'Array', 'Object', 'JSON', 'Math', 'Number', 'String', 'Symbol', 'Reflect', 'console', 'process', 'Buffer'];

/** How rosetta writes an object or array literal passed where a map or list is expected: real APIs of the language. */
const JAVA_COLLECTIONS = ['Map.of', 'List.of'];
const CSHARP_COLLECTIONS = ['Dictionary'];

/** Python names each translation reads but neither imports nor assigns (nor a builtin, nor a fixture value). */
function undefinedPythonNames(sources: string[]): string[][] {
  const script = `
import ast, builtins, json, sys
out = []
for source in json.load(sys.stdin):
    tree = ast.parse(source)
    bound = set(dir(builtins))
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((a.asname or a.name).split('.')[0] for a in node.names)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            bound.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
    out.append(sorted({n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id not in bound}))
print(json.dumps(out))
`;
  return JSON.parse(execFileSync('python3', ['-c', script], { input: JSON.stringify(sources), encoding: 'utf8' }));
}

const snakeCase = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** The expressions of one translation that its language lacks. */
function untranslatable(snippet: Snippet, language: 'java' | 'csharp' | 'go'): string[] {
  // Without string literals and comments: only code counts.
  const source = snippet.translations[language].source.replace(/"(?:[^"\\\n]|\\.)*"/g, '""').replace(/\/\/.*$/gm, '');
  const found: string[] = [];
  const globals = new RegExp(`(?<![\\w.])(${JS_GLOBALS.join('|')})\\.\\w+`, 'g');
  found.push(...[...source.matchAll(globals)].map((m) => m[0]).filter((e) => !(language === 'java' && JAVA_COLLECTIONS.includes(e))));
  if (language === 'go') {
    // Go calls a package's constructor qualified (awscdk.NewStack); an unqualified NewX( names nothing.
    found.push(...[...source.matchAll(/(?<![\w.])New([A-Z]\w*)\(/g)].map((m) => m[0]));
    // A field set to a bare capitalised name: rosetta's rendering of a TypeScript shorthand property ({ vpc }).
    found.push(...[...source.matchAll(/^\s*\w+: ([A-Z]\w*),?$/gm)].map((m) => m[0].trim()));
  } else {
    // Java and C# construct only the jsii types the example references (rosetta lists them), and arrays.
    const types = new Set(snippet.fqnsReferenced.filter((f) => !f.includes('#')).map((f) => f.split('.').pop()!));
    found.push(...[...source.matchAll(/\bnew (\w+)/g)].filter((m) => !types.has(m[1]) && !CSHARP_COLLECTIONS.includes(m[1])).map((m) => m[0]));
  }
  return found;
}

test('rosetta found the examples, and each declared fixture value has a value to run with', () => {
  expect(snippets.length).toBeGreaterThanOrEqual(5);
  expect(declared.length).toBeGreaterThan(0);
  expect(declared.map((d) => d.name).sort()).toEqual(Object.keys(runtimeValues).sort());
});

test('every example compiles in TypeScript (rosetta strict)', () => {
  expect(snippets.filter((s) => !s.didCompile).map((s) => s.where)).toEqual([]);
});

test('every Python translation reads only names it imports or assigns (no Date(...), JSON.…, ...)', () => {
  const fixtureNames = new Set(declared.map((d) => snakeCase(d.name)));
  const names = undefinedPythonNames(snippets.map((s) => s.translations.python.source));
  const found = snippets.flatMap((s, i) => names[i].filter((n) => !fixtureNames.has(n)).map((n) => `${s.where}: ${n}`));
  expect(found).toEqual([]);
});

test('every Python translation imports from each module on one line (rosetta adds a line of its own for a struct written as a literal)', () => {
  const found = snippets.flatMap((s) => {
    const modules = [...s.translations.python.source.matchAll(/^from (\S+) import /gm)].map((m) => m[1]);
    return modules.filter((m, i) => modules.indexOf(m) !== i).map((m) => `${s.where}: from ${m} import, twice`);
  });
  expect(found).toEqual([]);
});

test.each(['java', 'csharp', 'go'] as const)('every %s translation uses only what the language has', (language) => {
  const found = snippets.flatMap((s) => untranslatable(s, language).map((e) => `${s.where}: ${e}`));
  expect(found).toEqual([]);
});

describe('every TypeScript example of README.md synthesizes, offline', () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => ({ line: readme.slice(0, m.index).split('\n').length, code: m[1] }));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'readme-examples-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  let results: { line: number; error?: string; missing: unknown[]; templates: Record<string, any> }[];
  beforeAll(() => {
    // Each example runs as a program, as a user would run it: the compiled library (lib/*.js, as it ships) for
    // 'cdk-sms-replication-job', the installed aws-cdk-lib and cdk-nag, the fixture's values, then app.synth().
    const prelude = declared.map((d) => `const ${d.name} = ${runtimeValues[d.name]};`).join('\n');
    const files = blocks.map((block, i) => {
      const js = ts.transpileModule(`${prelude}\n${block.code}\nconst assembly = app.synth();\nmodule.exports = assembly;\n`, {
        compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
      }).outputText.replace(/require\("cdk-sms-replication-job"\)/g, `require(${JSON.stringify(ROOT)})`);
      const file = path.join(dir, `example-${i}.js`);
      fs.writeFileSync(file, js);
      return { file, line: block.line, outdir: path.join(dir, `out-${i}`) };
    });
    const runner = `
const results = [];
for (const { file, line, outdir } of ${JSON.stringify(files)}) {
  process.env.CDK_OUTDIR = outdir;
  try {
    const assembly = require(file);
    results.push({ line, missing: assembly.manifest.missing ?? [], templates: Object.fromEntries(assembly.stacks.map((s) => [s.stackName, s.template])) });
  } catch (e) {
    results.push({ line, error: String(e && e.stack || e), missing: [], templates: {} });
  }
}
process.stdout.write(JSON.stringify(results));
`;
    // No AWS credentials or region from the environment: a lookup would have to ask AWS, and must not be needed.
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: dir, NODE_PATH: path.join(ROOT, 'node_modules'), AWS_EC2_METADATA_DISABLED: 'true' };
    results = JSON.parse(execFileSync(process.execPath, ['-e', runner], { cwd: dir, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }));
  }, 120_000);

  test('README has TypeScript examples, each a program with an App', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(5);
    expect(blocks.filter((b) => !/const app = new (cdk\.)?App\(/.test(b.code)).map((b) => b.line)).toEqual([]);
  });

  test('each synthesizes without error and without context that only an AWS lookup could fill', () => {
    expect(results.filter((r) => r.error).map((r) => `line ${r.line}: ${r.error}`)).toEqual([]);
    expect(results.filter((r) => r.missing.length > 0).map((r) => `line ${r.line}: ${JSON.stringify(r.missing)}`)).toEqual([]);
  });

  test('the VPC example puts the provider\'s function in the given VPC\'s private subnets', () => {
    const vpc = results.find((r) => JSON.stringify(r.templates).includes('subnet-0123456789abcdef0'));
    expect(vpc).toBeDefined();
    const functions = Object.values<any>(vpc!.templates).flatMap((t) => Object.values<any>(t.Resources ?? {}))
      .filter((r) => r.Type === 'AWS::Lambda::Function');
    expect(functions).toHaveLength(1);
    expect(functions[0].Properties.VpcConfig.SubnetIds).toEqual(['subnet-0123456789abcdef0', 'subnet-0fedcba9876543210']);
  });

  test('the seed time example sends the fixture\'s time', () => {
    const seeded = results.flatMap((r) => Object.values<any>(r.templates)).flatMap((t) => Object.values<any>(t.Resources ?? {}))
      .filter((r) => r.Type === 'Custom::SmsReplicationJob' && r.Properties.SeedReplicationTime);
    expect(seeded.map((r) => r.Properties.SeedReplicationTime)).toEqual(['2027-01-04T02:00:00.000Z']);
  });
});
