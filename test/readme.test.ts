import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ts from 'typescript';

const root = path.resolve(__dirname, '..');

/**
 * Every ```ts block of the README, with the package import pointed at this checkout. A block whose
 * first line names a file (`// model/index.ts`) is written there, so another block can import it.
 */
function snippets(): { name: string; code: string }[] {
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
  return blocks.map((code, i) => ({
    name: /^\/\/ ([\w-]+\/)*[\w.-]+\.ts\n/.exec(code)?.[0].slice(3, -1) ?? `snippet-${i + 1}.ts`,
    code:
      code
        .replace(/from 'cdk-model-canary\/runtime'/g, `from ${JSON.stringify(path.join(root, 'runtime'))}`)
        .replace(/from 'cdk-model-canary'/g, `from ${JSON.stringify(path.join(root, 'lib'))}`) + '\nexport {};\n',
  }));
}

describe('README', () => {
  test('every TypeScript snippet compiles against the library', () => {
    const list = snippets();
    expect(list.length).toBeGreaterThanOrEqual(4);
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
});
