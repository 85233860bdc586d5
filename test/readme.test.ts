import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ts from 'typescript';

const root = path.resolve(__dirname, '..');

/** The user's guide and its reference pages: README.md and every docs/*.md. */
const PAGES = [
  'README.md',
  ...fs
    .readdirSync(path.join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`),
];

const read = (page: string) => fs.readFileSync(path.join(root, page), 'utf8');

/**
 * Every ```ts block of the pages, with the package import pointed at this checkout. A block whose
 * first line names a file (`// model/index.ts`) is written there, so another block (on any page)
 * can import it.
 */
function snippets(): { page: string; name: string; code: string }[] {
  return PAGES.flatMap((page) => {
    const blocks = [...read(page).matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
    const prefix = page.replace(/\.md$/, '').replace(/\W/g, '-');
    return blocks.map((code, i) => ({
      page,
      name: /^\/\/ ([\w-]+\/)*[\w.-]+\.ts\n/.exec(code)?.[0].slice(3, -1) ?? `${prefix}-snippet-${i + 1}.ts`,
      code:
        code
          .replace(/from 'cdk-model-canary\/runtime'/g, `from ${JSON.stringify(path.join(root, 'runtime'))}`)
          .replace(/from 'cdk-model-canary'/g, `from ${JSON.stringify(path.join(root, 'lib'))}`) + '\nexport {};\n',
    }));
  });
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function anchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function anchors(file: string): Set<string> {
  const text = fs.readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '');
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => anchor(m[1])));
}

describe('README and docs/', () => {
  test('every TypeScript snippet compiles against the library', () => {
    const list = snippets();
    expect(list.filter((s) => s.page === 'README.md').length).toBeGreaterThanOrEqual(4);
    expect(list.filter((s) => s.page.startsWith('docs/')).length).toBeGreaterThanOrEqual(4);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'readme-snippets-'));
    expect(new Set(list.map((s) => s.name)).size).toBe(list.length);
    const files = list.map((s) => {
      const file = path.join(dir, s.name);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, s.code);
      return file;
    });
    const program = ts.createProgram(files, {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      types: ['node'],
      typeRoots: [path.join(root, 'node_modules', '@types')],
      baseUrl: root,
      paths: { '*': [path.join(root, 'node_modules', '*')] },
    });
    const problems = ts
      .getPreEmitDiagnostics(program)
      .filter((d) => d.file && files.includes(path.resolve(d.file.fileName)))
      .map((d) => `${path.basename(d.file!.fileName)}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    expect(problems).toEqual([]);
  });

  test('every relative link points at a file of the repository, and at a heading there', () => {
    const broken: string[] = [];
    for (const page of PAGES) {
      const text = read(page).replace(/```[\s\S]*?```/g, '');
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/.test(target)) continue; // https:, mailto:
        const [file, hash] = target.split('#');
        const resolved = file ? path.resolve(root, path.dirname(page), file) : path.join(root, page);
        if (!fs.existsSync(resolved)) broken.push(`${page}: ${target} (no such file)`);
        else if (hash !== undefined && !anchors(resolved).has(hash)) broken.push(`${page}: ${target} (no such heading)`);
      }
    }
    expect(broken).toEqual([]);
  });

  test("docs/guards.md lists every factory of Guard with each of its props", () => {
    const sources = fs
      .readdirSync(path.join(root, 'lib', 'guards'))
      .filter((f) => f.endsWith('.ts'))
      .map((f) => fs.readFileSync(path.join(root, 'lib', 'guards', f), 'utf8'))
      .join('\n');
    // Each props interface with its own fields and those of the interfaces it extends.
    const interfaces = new Map<string, { fields: string[]; parents: string[] }>();
    for (const [, name, parents, body] of sources.matchAll(/export interface (\w+)(?: extends ([\w, ]+))? \{([\s\S]*?)\n\}/g)) {
      interfaces.set(name, {
        fields: [...body.matchAll(/^\s*readonly (\w+)\??:/gm)].map((m) => m[1]),
        parents: parents ? parents.split(',').map((s) => s.trim()) : [],
      });
    }
    const fieldsOf = (name: string): string[] => {
      const i = interfaces.get(name);
      return i ? [...i.parents.flatMap(fieldsOf), ...i.fields] : [];
    };
    const guardClass = fs.readFileSync(path.join(root, 'lib', 'guards', 'guard.ts'), 'utf8');
    const factories = [...guardClass.matchAll(/public static (\w+)\((?:\w+\??: (\w+))?/g)].map((m) => ({ name: m[1], props: m[2] }));
    expect(factories.length).toBeGreaterThanOrEqual(18);
    const rows = read('docs/guards.md').split('\n').filter((l) => l.startsWith('| `Guard.'));
    const missing: string[] = [];
    for (const { name, props } of factories) {
      const row = rows.find((r) => r.startsWith(`| \`Guard.${name}(`));
      if (!row) {
        missing.push(`Guard.${name}: no row`);
        continue;
      }
      const fields = props && props.endsWith('Props') ? fieldsOf(props) : [];
      if (props && props.endsWith('Props')) expect(fields.length).toBeGreaterThan(0);
      for (const f of fields) if (!row.includes(`\`${f}\``)) missing.push(`Guard.${name}: ${f}`);
    }
    expect(missing).toEqual([]);
  });

  test('the README stays a guide: at most 600 lines, contents at the top, the two commands for a clone', () => {
    const readme = read('README.md');
    expect(readme.split('\n').length).toBeLessThanOrEqual(600);
    const top = readme.split(/^## /m).slice(0, 2).join('## ');
    expect(top).toContain('npm install && npm run demo');
    expect(top).toContain('npm test');
    expect(readme.split(/^## /m)[1]).toMatch(/^Contents\n/);
    expect(JSON.parse(read('package.json')).scripts.demo).toBeDefined();
  });
});
