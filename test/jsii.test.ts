import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Duration } from 'aws-cdk-lib';
import * as library from '../lib';

const root = path.resolve(__dirname, '..');

// What the jsii build reads: package.json (its "jsii" section), the tsconfig it names, the README
// (copied into the assembly) and the sources the library compiles from (lib/ imports lambda/shared/).
const JSII_INPUTS = ['package.json', 'README.md', 'LICENSE', 'tsconfig.json', 'tsconfig.build.json', 'lib', 'runtime', 'lambda'];

interface JsiiAssembly {
  readonly targets: Record<string, Record<string, unknown>>;
  readonly types: Record<string, { kind: string; methods?: { name: string; static?: boolean }[]; properties?: { name: string; static?: boolean }[] }>;
}

/**
 * Compiles a copy of the library with jsii, the compiler of `npm run build`, which rejects what
 * Python, Java, .NET or Go cannot express (generics, function types, mutable struct properties,
 * a static and an instance member of one name...). A copy, because jsii writes dist/ and .jsii,
 * which other tests read.
 */
function compileWithJsii(): { status: number | null; output: string; assembly?: JsiiAssembly } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jsii-'));
  for (const entry of JSII_INPUTS) fs.cpSync(path.join(root, entry), path.join(dir, entry), { recursive: true });
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  const jsii = path.join(path.dirname(require.resolve('jsii/package.json')), 'bin', 'jsii');
  const res = spawnSync(process.execPath, [jsii, '--fail-on-warnings'], {
    cwd: dir,
    encoding: 'utf8',
    // jsii prints a banner on Node releases it no longer supports; the compile is the same.
    env: { ...process.env, JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION: process.versions.node.split('.')[0], FORCE_COLOR: '0' },
  });
  const file = path.join(dir, '.jsii');
  const assembly = res.status === 0 && fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as JsiiAssembly) : undefined;
  fs.rmSync(dir, { recursive: true, force: true });
  return { status: res.status, output: `${res.stdout}\n${res.stderr}`, assembly };
}

describe('jsii: the library can be used from Python, Java and .NET', () => {
  let result: ReturnType<typeof compileWithJsii>;
  beforeAll(() => {
    result = compileWithJsii();
  }, 120_000);

  test('jsii compiles the public API without an error or a warning', () => {
    if (result.status !== 0) {
      throw new Error(
        'jsii rejects the public API; fix every error below (rules: https://aws.github.io/jsii/user-guides/lib-author/typescript-restrictions/ ; ' +
          'a TypeScript-only member can be hidden from jsii with "@jsii ignore <reason>": https://aws.github.io/jsii/user-guides/lib-author/hints):\n' +
          result.output,
      );
    }
    expect(result.assembly).toBeDefined();
  });

  test('every class and enum the library exports is in the jsii assembly (nothing silently left out)', () => {
    const exported = Object.keys(library).filter((name) => typeof (library as Record<string, unknown>)[name] === 'function' || typeof (library as Record<string, unknown>)[name] === 'object');
    expect(exported.length).toBeGreaterThan(0);
    const inAssembly = Object.keys(result.assembly?.types ?? {}).map((fqn) => fqn.replace(/^cdk-model-canary\./, ''));
    expect(exported.filter((name) => !inAssembly.includes(name))).toEqual([]);
  });

  test('no union type in the public API: jsii accepts unions, but Java and C# can only type them as Object', () => {
    const unions: string[] = [];
    const walk = (node: unknown, where: string): void => {
      if (Array.isArray(node)) node.forEach((n, i) => walk(n, `${where}[${i}]`));
      else if (node && typeof node === 'object') {
        if ('union' in node) unions.push(where);
        for (const [k, v] of Object.entries(node)) if (k !== 'docs') walk(v, `${where}.${k}`);
      }
    };
    for (const [fqn, type] of Object.entries(result.assembly?.types ?? {})) walk(type, fqn);
    expect(Object.keys(result.assembly?.types ?? {}).length).toBeGreaterThan(0);
    expect(unions).toEqual([]);
  });

  test('Python, Java and .NET targets are configured with their package names', () => {
    expect(result.assembly?.targets).toMatchObject({
      python: { distName: 'cdk-model-canary', module: 'cdk_model_canary' },
      java: { package: 'io.github.cdkmodelcanary', maven: { groupId: 'io.github.cdkmodelcanary', artifactId: 'cdk-model-canary' } },
      dotnet: { namespace: 'CdkModelCanary', packageId: 'CdkModelCanary' },
    });
  });

  test('RolloutSchedule offers fromPercentages() to every language and keeps the instance property steps', () => {
    const type = result.assembly?.types['cdk-model-canary.RolloutSchedule'];
    const statics = [...(type?.methods ?? []), ...(type?.properties ?? [])].filter((m) => m.static).map((m) => m.name);
    expect(statics).toContain('fromPercentages');
    expect(statics).not.toContain('steps');
    expect(type?.properties?.find((p) => p.name === 'steps' && !p.static)).toBeDefined();
  });
});

describe('RolloutSchedule.steps(), the TypeScript-only former name of fromPercentages()', () => {
  test('builds the same schedule as fromPercentages()', () => {
    const shape = (s: library.RolloutSchedule) => s.steps.map((step) => [step.percent, step.bake.toSeconds()]);
    const old = library.RolloutSchedule.steps([5, 50, 100], Duration.minutes(7));
    expect(shape(old)).toEqual(shape(library.RolloutSchedule.fromPercentages([5, 50, 100], Duration.minutes(7))));
    expect(shape(old)).toEqual([
      [5, 420],
      [50, 420],
      [100, 420],
    ]);
  });
});
