import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  CANARY_DIMENSION,
  CANARY_NAME_ENV,
  CANARY_STACK_ENV,
  CLASS_DIMENSION,
  LAMBDA_VERSION_ENV,
  ModelSignals,
  SIGNAL_NAMESPACE,
  SIGNALS,
  SIGNALS_DISABLED_ENV,
  STACK_DIMENSION,
  VERSION_DIMENSION,
  VERSION_ENV,
} from '../../runtime';

const root = path.resolve(__dirname, '..', '..');

/** Environment variables this file changes; each test starts with none of them set. */
const ENV_KEYS = [
  CANARY_NAME_ENV,
  CANARY_STACK_ENV,
  VERSION_ENV,
  LAMBDA_VERSION_ENV,
  SIGNALS_DISABLED_ENV,
  'POWERTOOLS_SERVICE_NAME',
  'POWERTOOLS_METRICS_NAMESPACE',
  'POWERTOOLS_METRICS_DISABLED',
  'POWERTOOLS_DEV',
];
const savedEnv: Record<string, string | undefined> = {};

interface EmfDocument {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[];
  };
  [key: string]: unknown;
}

let written: string[];
let writeSpy: jest.SpyInstance;

beforeEach(() => {
  for (const key of ENV_KEYS) {
    savedEnv[key] = process.env[key];
    delete process.env[key];
  }
  written = [];
  // Powertools writes EMF with a Console bound to process.stdout; it offers no other sink.
  writeSpy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString());
    return true;
  });
});

afterEach(() => {
  writeSpy.mockRestore();
  for (const key of ENV_KEYS) {
    if (savedEnv[key] === undefined) delete process.env[key];
    else process.env[key] = savedEnv[key];
  }
});

/** Every line written to stdout, each parsed as JSON: fails on anything that is not an EMF document. */
function documents(): EmfDocument[] {
  const lines = written.join('').split('\n').filter((l) => l !== '');
  return lines.map((l) => JSON.parse(l) as EmfDocument);
}

/** The metric directive of a document, checking there is exactly one. */
function directive(doc: EmfDocument) {
  expect(doc._aws.CloudWatchMetrics).toHaveLength(1);
  return doc._aws.CloudWatchMetrics[0];
}

/** The metric values of a document by name, read from the root as CloudWatch does. */
function values(doc: EmfDocument): Record<string, unknown> {
  return Object.fromEntries(directive(doc).Metrics.map((m) => [m.Name, doc[m.Name]]));
}

describe('ModelSignals.record', () => {
  test('one request with every signal: one {Canary, Stack, Version} document and one {Canary, Stack, Version, Class} document', () => {
    const before = Date.now();
    const signals = new ModelSignals({ canaryName: 'SentimentCanary', stackName: 'ProdStack', version: '7' });
    signals.record({
      inputTokens: 120,
      outputTokens: 35,
      guardrailIntervened: true,
      schemaValid: false,
      responseLength: 512,
      predictedClass: 'positive',
    });

    const docs = documents();
    expect(docs).toHaveLength(2);
    const [main, cls] = docs;

    const m = directive(main);
    expect(m.Namespace).toBe('ModelCanary');
    expect(m.Dimensions).toEqual([[CANARY_DIMENSION, STACK_DIMENSION, VERSION_DIMENSION]]);
    expect(m.Metrics).toEqual([
      { Name: 'Requests', Unit: 'Count' },
      { Name: 'InputTokens', Unit: 'Count' },
      { Name: 'OutputTokens', Unit: 'Count' },
      { Name: 'TotalTokens', Unit: 'Count' },
      { Name: 'GuardrailIntervened', Unit: 'Count' },
      { Name: 'SchemaInvalid', Unit: 'Count' },
      { Name: 'ResponseLength', Unit: 'Count' },
    ]);
    expect(main.Canary).toBe('SentimentCanary');
    expect(main.Stack).toBe('ProdStack');
    expect(main.Version).toBe('7');
    expect(values(main)).toEqual({
      Requests: 1,
      InputTokens: 120,
      OutputTokens: 35,
      TotalTokens: 155,
      GuardrailIntervened: 1,
      SchemaInvalid: 1,
      ResponseLength: 512,
    });
    expect(main._aws.Timestamp).toBeGreaterThanOrEqual(before);
    expect(main._aws.Timestamp).toBeLessThanOrEqual(Date.now());
    // Only the dimensions, the metric values and _aws: no `service` dimension or other keys.
    expect(Object.keys(main).sort()).toEqual(['_aws', 'Canary', 'Stack', 'Version', ...m.Metrics.map((x) => x.Name)].sort());

    const c = directive(cls);
    expect(c.Namespace).toBe('ModelCanary');
    expect(c.Dimensions).toEqual([[CANARY_DIMENSION, STACK_DIMENSION, VERSION_DIMENSION, CLASS_DIMENSION]]);
    expect(c.Metrics).toEqual([{ Name: 'Prediction', Unit: 'Count' }]);
    expect(cls).toMatchObject({ Canary: 'SentimentCanary', Stack: 'ProdStack', Version: '7', Class: 'positive', Prediction: 1 });
    expect(Object.keys(cls).sort()).toEqual(['_aws', 'Canary', 'Class', 'Prediction', 'Stack', 'Version'].sort());
  });

  test('the metric names are the shared schema, so the guards and the runtime agree', () => {
    new ModelSignals({ canaryName: 'c', stackName: 's', version: '1' }).record({
      inputTokens: 1,
      outputTokens: 1,
      guardrailIntervened: false,
      schemaValid: true,
      responseLength: 1,
      predictedClass: 'x',
      error: false,
      latencyMs: 1,
    });
    const names = documents().flatMap((d) => directive(d).Metrics.map((x) => x.Name));
    expect(names.sort()).toEqual(Object.values(SIGNALS).sort());
    expect(directive(documents()[0]).Namespace).toBe(SIGNAL_NAMESPACE);
  });

  test('false flags are written as 0, and a valid schema as SchemaInvalid 0', () => {
    new ModelSignals({ canaryName: 'c', stackName: 's', version: '1' }).record({ guardrailIntervened: false, schemaValid: true });
    const docs = documents();
    expect(docs).toHaveLength(1);
    expect(values(docs[0])).toEqual({ Requests: 1, GuardrailIntervened: 0, SchemaInvalid: 0 });
  });

  test('fields left out are not emitted; an empty request still counts as a request', () => {
    const signals = new ModelSignals({ canaryName: 'c', stackName: 's', version: '1' });
    signals.record();
    signals.record({});
    const docs = documents();
    expect(docs).toHaveLength(2);
    for (const doc of docs) {
      expect(directive(doc).Metrics).toEqual([{ Name: 'Requests', Unit: 'Count' }]);
      expect(values(doc)).toEqual({ Requests: 1 });
    }
  });

  test('TotalTokens is the sum of the token counts given, also when only one is given', () => {
    const signals = new ModelSignals({ canaryName: 'c', stackName: 's', version: '1' });
    signals.record({ inputTokens: 40 });
    signals.record({ outputTokens: 9 });
    signals.record({ inputTokens: 0, outputTokens: 0 });
    expect(documents().map(values)).toEqual([
      { Requests: 1, InputTokens: 40, TotalTokens: 40 },
      { Requests: 1, OutputTokens: 9, TotalTokens: 9 },
      { Requests: 1, InputTokens: 0, OutputTokens: 0, TotalTokens: 0 },
    ]);
  });

  test('a response text is measured in characters (code points), not UTF-16 units', () => {
    const signals = new ModelSignals({ canaryName: 'c', stackName: 's', version: '1' });
    signals.record({ responseLength: 'héllo 😀' });
    signals.record({ responseLength: '' });
    expect(documents().map((d) => d.ResponseLength)).toEqual([7, 0]);
  });

  test('the class is trimmed; without a class there is no Prediction document', () => {
    const signals = new ModelSignals({ canaryName: 'c', stackName: 's', version: '1' });
    signals.record({ predictedClass: '  negative \n' });
    signals.record({ inputTokens: 1 });
    const docs = documents();
    expect(docs).toHaveLength(3);
    expect(docs[1].Class).toBe('negative');
    expect(directive(docs[2]).Dimensions).toEqual([[CANARY_DIMENSION, STACK_DIMENSION, VERSION_DIMENSION]]);
    expect(docs[2].Class).toBeUndefined();
  });

  test('a class of 255 characters is accepted', () => {
    new ModelSignals({ canaryName: 'c', stackName: 's', version: '1' }).record({ predictedClass: 'k'.repeat(255) });
    expect(documents()[1].Class).toBe('k'.repeat(255));
  });

  test('every record writes at once: nothing is held back for a flush', () => {
    const signals = new ModelSignals({ canaryName: 'c', stackName: 's', version: '1' });
    signals.record({ inputTokens: 1 });
    expect(documents()).toHaveLength(1);
    signals.record({ inputTokens: 2, predictedClass: 'a' });
    expect(documents()).toHaveLength(3);
  });

  test('a custom namespace is used for both documents', () => {
    new ModelSignals({ canaryName: 'c', stackName: 's', version: '1', namespace: 'Team/Models' }).record({ predictedClass: 'a' });
    expect(documents().map((d) => directive(d).Namespace)).toEqual(['Team/Models', 'Team/Models']);
  });

  test("Powertools' service name and namespace variables do not change the dimensions or namespace", () => {
    process.env.POWERTOOLS_SERVICE_NAME = 'orders';
    process.env.POWERTOOLS_METRICS_NAMESPACE = 'Other';
    new ModelSignals({ canaryName: 'c', stackName: 's', version: '1' }).record({ predictedClass: 'a' });
    const docs = documents();
    expect(docs.map((d) => directive(d).Dimensions)).toEqual([
      [[CANARY_DIMENSION, STACK_DIMENSION, VERSION_DIMENSION]],
      [[CANARY_DIMENSION, STACK_DIMENSION, VERSION_DIMENSION, CLASS_DIMENSION]],
    ]);
    expect(docs.map((d) => directive(d).Namespace)).toEqual(['ModelCanary', 'ModelCanary']);
    expect(docs[0].service).toBeUndefined();
  });
});

describe('ModelSignals version', () => {
  test('taken from MODEL_CANARY_VERSION', () => {
    process.env[VERSION_ENV] = 'sentiment-model-v2';
    const signals = new ModelSignals({ canaryName: 'c', stackName: 's' });
    signals.record();
    expect(signals.version).toBe('sentiment-model-v2');
    expect(documents()[0].Version).toBe('sentiment-model-v2');
  });

  test('taken from AWS_LAMBDA_FUNCTION_VERSION when MODEL_CANARY_VERSION is not set', () => {
    process.env[LAMBDA_VERSION_ENV] = '12';
    new ModelSignals({ canaryName: 'c', stackName: 's' }).record({ predictedClass: 'a' });
    expect(documents().map((d) => d.Version)).toEqual(['12', '12']);
  });

  test('MODEL_CANARY_VERSION wins over AWS_LAMBDA_FUNCTION_VERSION, and an empty one is ignored', () => {
    process.env[LAMBDA_VERSION_ENV] = '12';
    process.env[VERSION_ENV] = 'variant-b';
    expect(new ModelSignals({ canaryName: 'c', stackName: 's' }).version).toBe('variant-b');
    process.env[VERSION_ENV] = ' ';
    expect(new ModelSignals({ canaryName: 'c', stackName: 's' }).version).toBe('12');
  });

  test('the version option wins over both variables', () => {
    process.env[LAMBDA_VERSION_ENV] = '12';
    process.env[VERSION_ENV] = 'variant-b';
    new ModelSignals({ canaryName: 'c', stackName: 's', version: 'explicit' }).record();
    expect(documents()[0].Version).toBe('explicit');
  });

  test('no version anywhere (a container missing its variable): $LATEST, and one warning naming what to set', () => {
    const { runtime, warnings, restore } = freshRuntime();
    try {
      const signals = new runtime.ModelSignals({ canaryName: 'c', stackName: 's' });
      new runtime.ModelSignals({ canaryName: 'c', stackName: 's' });
      signals.record();
      expect(signals.version).toBe('$LATEST');
      expect(runtime.DEFAULT_VERSION).toBe('$LATEST');
      expect(documents()[0].Version).toBe('$LATEST');
      expect(warnings()).toEqual([{ code: 'MODEL_CANARY_DEFAULT_VERSION', message: expect.stringMatching(/MODEL_CANARY_VERSION.*AWS_LAMBDA_FUNCTION_VERSION.*production variant name/) }]);
    } finally {
      restore();
    }
  });
});

describe('ModelSignals canary and stack names', () => {
  test('taken from MODEL_CANARY_NAME and MODEL_CANARY_STACK, which the canary construct sets', () => {
    process.env[CANARY_NAME_ENV] = 'SentimentCanary';
    process.env[CANARY_STACK_ENV] = 'ProdStack';
    const signals = new ModelSignals({ version: '4' });
    signals.record({ predictedClass: 'a' });
    expect([signals.canaryName, signals.stackName]).toEqual(['SentimentCanary', 'ProdStack']);
    expect(documents().map((d) => [d.Canary, d.Stack])).toEqual([
      ['SentimentCanary', 'ProdStack'],
      ['SentimentCanary', 'ProdStack'],
    ]);
  });

  test('no options at all: everything from the environment, as in a deployed model function', () => {
    process.env[CANARY_NAME_ENV] = 'SentimentCanary';
    process.env[CANARY_STACK_ENV] = 'ProdStack';
    process.env[LAMBDA_VERSION_ENV] = '9';
    new ModelSignals().record();
    expect(documents()[0]).toMatchObject({ Canary: 'SentimentCanary', Stack: 'ProdStack', Version: '9' });
  });

  test('explicit options win over the variables', () => {
    process.env[CANARY_NAME_ENV] = 'FromEnv';
    process.env[CANARY_STACK_ENV] = 'EnvStack';
    const signals = new ModelSignals({ canaryName: 'Explicit', stackName: 'ExplicitStack', version: '1' });
    expect([signals.canaryName, signals.stackName]).toEqual(['Explicit', 'ExplicitStack']);
  });

  test('a blank option is still an error naming it', () => {
    expect(() => new ModelSignals({ canaryName: 'c', stackName: '', version: '1' })).toThrow(/stackName must be a non-blank string/);
    expect(() => new ModelSignals({ canaryName: ' ', stackName: 's', version: '1' })).toThrow(/canaryName must be a non-blank string/);
  });
});

/** A fresh copy of the runtime module (each warning is given once per process) and the warnings it gives. */
function freshRuntime(): { runtime: typeof import('../../runtime'); warnings: () => { message: string; code: string }[]; restore: () => void } {
  let runtime!: typeof import('../../runtime');
  jest.isolateModules(() => {
    runtime = require('../../runtime');
  });
  const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
  return {
    runtime,
    warnings: () => warn.mock.calls.map(([message, options]) => ({ message: String(message), code: (options as { code: string }).code })),
    restore: () => warn.mockRestore(),
  };
}

describe('ModelSignals without its environment (a unit test importing the model)', () => {
  test('no canary or stack name: constructs, warns once naming both variables and the switch, records nothing', () => {
    const { runtime, warnings, restore } = freshRuntime();
    try {
      const signals = new runtime.ModelSignals();
      new runtime.ModelSignals();
      expect(signals.enabled).toBe(false);
      expect([signals.canaryName, signals.stackName]).toEqual([undefined, undefined]);
      signals.record({ inputTokens: 3, predictedClass: 'a' });
      expect(written).toEqual([]);
      expect(warnings()).toHaveLength(1);
      const [{ message, code }] = warnings();
      expect(code).toBe('MODEL_CANARY_NO_NAME');
      expect(message).toMatch(/no MODEL_CANARY_NAME .* and no MODEL_CANARY_STACK .*no signals are recorded/);
      expect(message).toContain('MODEL_CANARY_SIGNALS_DISABLED=true');
    } finally {
      restore();
    }
  });

  test('one name missing is enough to record nothing; the warning names only that one', () => {
    process.env[CANARY_NAME_ENV] = 'SentimentCanary';
    const { runtime, warnings, restore } = freshRuntime();
    try {
      const signals = new runtime.ModelSignals({ version: '1' });
      expect(signals.enabled).toBe(false);
      signals.record();
      expect(written).toEqual([]);
      expect(warnings().map((w) => w.message)).toEqual([expect.stringMatching(/^ModelSignals: no MODEL_CANARY_STACK \(or the `stackName` option\), so/)]);
    } finally {
      restore();
    }
  });

  test('with the output off, a bad signal still throws, so the model\'s tests catch it', () => {
    const { runtime, restore } = freshRuntime();
    try {
      const signals = new runtime.ModelSignals();
      expect(() => signals.record({ inputTokens: -1 })).toThrow(/inputTokens must be a non-negative integer/);
      expect(() => signals.record({ schemaValid: 'yes' } as never)).toThrow(/schemaValid must be true or false/);
    } finally {
      restore();
    }
  });

  test.each(['true', 'TRUE', '1', 'yes', ' on '])('%p in MODEL_CANARY_SIGNALS_DISABLED turns the output off without a warning', (value) => {
    process.env[SIGNALS_DISABLED_ENV] = value;
    const { runtime, warnings, restore } = freshRuntime();
    try {
      const named = new runtime.ModelSignals({ canaryName: 'c', stackName: 's', version: '1' });
      const unnamed = new runtime.ModelSignals();
      named.record({ inputTokens: 1 });
      unnamed.record({ inputTokens: 1 });
      expect([named.enabled, unnamed.enabled]).toEqual([false, false]);
      expect(written).toEqual([]);
      expect(warnings()).toEqual([]);
    } finally {
      restore();
    }
  });

  test.each([
    [{ [SIGNALS_DISABLED_ENV]: 'false' }, true],
    [{ POWERTOOLS_METRICS_DISABLED: 'true' }, false],
    [{ POWERTOOLS_DEV: 'true' }, false],
    [{ POWERTOOLS_DEV: 'true', POWERTOOLS_METRICS_DISABLED: 'false' }, true],
    [{ POWERTOOLS_METRICS_DISABLED: 'false', [SIGNALS_DISABLED_ENV]: 'true' }, false],
  ])("Powertools' switches apply as in Powertools, and ours adds an off: %p writes: %p", (env, writes) => {
    Object.assign(process.env, env);
    const signals = new ModelSignals({ canaryName: 'c', stackName: 's', version: '1' });
    // POWERTOOLS_DEV makes Powertools write through the global console (jest's, here): stdout is checked when off.
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    let logged: number;
    try {
      signals.record({ inputTokens: 1 });
      logged = log.mock.calls.length;
    } finally {
      log.mockRestore();
    }
    expect(signals.enabled).toBe(writes);
    expect(written.length + logged).toBe(writes ? 1 : 0);
  });

  test('a switch that is neither true nor false is ignored with a warning naming it', () => {
    process.env[SIGNALS_DISABLED_ENV] = 'sometimes';
    const { runtime, warnings, restore } = freshRuntime();
    try {
      const signals = new runtime.ModelSignals({ canaryName: 'c', stackName: 's', version: '1' });
      signals.record();
      expect(signals.enabled).toBe(true);
      expect(documents()).toHaveLength(1);
      expect(warnings().map((w) => w.message)).toEqual([expect.stringContaining('MODEL_CANARY_SIGNALS_DISABLED="sometimes" is not true or false')]);
    } finally {
      restore();
    }
  });

  test("a POWERTOOLS_METRICS_DISABLED that Powertools refuses does not stop the model: a warning, no output", () => {
    process.env.POWERTOOLS_METRICS_DISABLED = 'sometimes';
    const { runtime, warnings, restore } = freshRuntime();
    try {
      const signals = new runtime.ModelSignals({ canaryName: 'c', stackName: 's', version: '1' });
      signals.record();
      expect(signals.enabled).toBe(false);
      expect(written).toEqual([]);
      expect(warnings().map((w) => w.code)).toEqual(['MODEL_CANARY_BAD_SWITCH_POWERTOOLS_METRICS_DISABLED', 'MODEL_CANARY_POWERTOOLS']);
    } finally {
      restore();
    }
  });
});

describe('ModelSignals validation', () => {
  const signals = () => new ModelSignals({ canaryName: 'c', stackName: 's', version: '1' });

  test.each([
    ['inputTokens', { inputTokens: -1 }],
    ['inputTokens', { inputTokens: Number.NaN }],
    ['inputTokens', { inputTokens: Number.POSITIVE_INFINITY }],
    ['inputTokens', { inputTokens: 1.5 }],
    ['outputTokens', { outputTokens: -3 }],
    ['outputTokens', { outputTokens: Number.NEGATIVE_INFINITY }],
    ['responseLength', { responseLength: -10 }],
    ['responseLength', { responseLength: Number.NaN }],
    ['inputTokens', { inputTokens: '12' }],
  ])('%s: %p is rejected and nothing is written', (field, request) => {
    const s = signals();
    expect(() => s.record(request as never)).toThrow(new RegExp(`${field} must be a non-negative integer`));
    expect(written).toEqual([]);
  });

  test.each([
    ['guardrailIntervened', { guardrailIntervened: 'yes' }],
    ['schemaValid', { schemaValid: 1 }],
  ])('%s: %p is rejected', (field, request) => {
    expect(() => signals().record(request as never)).toThrow(new RegExp(`${field} must be true or false`));
    expect(written).toEqual([]);
  });

  test('a blank or too long class is rejected before the main document is written', () => {
    const s = signals();
    expect(() => s.record({ inputTokens: 1, predictedClass: '   ' })).toThrow(/predictedClass must be 1 to 255 characters/);
    expect(() => s.record({ predictedClass: 'k'.repeat(256) })).toThrow(/predictedClass must be 1 to 255 characters/);
    expect(() => s.record({ predictedClass: 3 } as never)).toThrow(/predictedClass must be a string/);
    expect(written).toEqual([]);
  });

  test('a bad request does not leave anything behind for the next one', () => {
    const s = signals();
    expect(() => s.record({ inputTokens: 5, outputTokens: -1 })).toThrow(/outputTokens/);
    s.record({ schemaValid: true });
    expect(documents().map(values)).toEqual([{ Requests: 1, SchemaInvalid: 0 }]);
  });

  test('constructor options are checked', () => {
    expect(() => new ModelSignals({ canaryName: '', stackName: 's', version: '1' })).toThrow(/canaryName must be a non-blank string/);
    expect(() => new ModelSignals({ canaryName: ' ', stackName: 's', version: '1' })).toThrow(/canaryName/);
    expect(() => new ModelSignals({ canaryName: 'c', stackName: 's', version: '' })).toThrow(/version must be a non-blank string/);
    expect(() => new ModelSignals({ canaryName: 'c', stackName: 's', version: '1', namespace: '' })).toThrow(/namespace/);
    expect(() => new ModelSignals({ canaryName: 'c'.repeat(1025), stackName: 's', version: '1' })).toThrow(/at most 1024/);
  });
});

describe('runtime entry point', () => {
  /** The files Node has loaded after requiring `entry` in a fresh process (TypeScript through tsx). */
  function loadedBy(entry: string): string[] {
    const script = `require(${JSON.stringify(entry)}); process.stdout.write(JSON.stringify(Object.keys(require.cache)))`;
    const out = execFileSync(process.execPath, ['--require', 'tsx/cjs', '-e', script], { cwd: root }).toString();
    return (JSON.parse(out) as string[]).map((f) => path.relative(root, f));
  }
  const fromCdk = (f: string) => /node_modules[\\/](aws-cdk-lib|constructs)[\\/]/.test(f);

  test('loads Powertools Metrics and nothing from aws-cdk-lib, constructs or the construct library', () => {
    const loaded = loadedBy('./runtime/index.ts');
    expect(loaded).toContain(path.join('runtime', 'index.ts'));
    expect(loaded.some((f) => f.includes(path.join('@aws-lambda-powertools', 'metrics')))).toBe(true);
    expect(loaded.filter(fromCdk)).toEqual([]);
    const ownFiles = loaded.filter((f) => !f.startsWith('node_modules'));
    expect(ownFiles.sort()).toEqual(['index.ts', 'model-signals.ts', 'router.ts', 'routing.ts', 'signal-names.ts', 'warn-once.ts'].map((f) => path.join('runtime', f)));
    // The router loads the AppConfigData client only when its source is 'sdk'.
    expect(loaded.filter((f) => f.includes('client-appconfigdata'))).toEqual([]);
  });

  test('the same check does see aws-cdk-lib when the construct library is loaded', () => {
    expect(loadedBy('./lib/index.ts').filter(fromCdk).length).toBeGreaterThan(0);
  });

  test('a bundle of the entry point (as for a Lambda function) holds only runtime/ and Powertools', async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const esbuild = require('esbuild') as typeof import('esbuild');
    const result = await esbuild.build({
      entryPoints: [path.join(root, 'runtime', 'index.ts')],
      absWorkingDir: root,
      bundle: true,
      platform: 'node',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs).toContain('runtime/index.ts');
    expect(inputs.filter((f) => !/^(runtime\/|node_modules\/@aws-lambda-powertools\/|node_modules\/@aws\/lambda-invoke-store\/)/.test(f))).toEqual([]);
  });

  test('importing it with no variables set (a unit test, a build step) does not throw', () => {
    const script = `const r = require('./runtime/index.ts'); process.stdout.write(typeof r.ModelSignals)`;
    const out = execFileSync(process.execPath, ['--require', 'tsx/cjs', '-e', script], { cwd: root, env: { PATH: process.env.PATH } });
    expect(out.toString()).toBe('function');
  });

  test('compiled as the package ships it, import and require give one module with the same exports', () => {
    // tsc as `npm run build` runs it, into a folder under the repo so node_modules resolve.
    fs.mkdirSync(path.join(root, 'out'), { recursive: true });
    const outDir = fs.mkdtempSync(path.join(root, 'out', 'runtime-esm-'));
    try {
      const tsc = require.resolve('typescript/bin/tsc');
      const files = ['runtime/index.ts', 'runtime/index.mts'];
      execFileSync(process.execPath, [tsc, ...files, '--outDir', outDir, '--rootDir', 'runtime', '--module', 'nodenext', '--target', 'ES2022', '--types', 'node', '--skipLibCheck', '--declaration', '--ignoreConfig'], { cwd: root });
      expect(fs.readdirSync(outDir).sort()).toEqual(['index.d.mts', 'index.d.ts', 'index.js', 'index.mjs', 'model-signals.d.ts', 'model-signals.js', 'router.d.ts', 'router.js', 'routing.d.ts', 'routing.js', 'signal-names.d.ts', 'signal-names.js', 'warn-once.d.ts', 'warn-once.js']);
      const script = `
        import { createRequire } from 'node:module';
        const esm = await import(${JSON.stringify(path.join(outDir, 'index.mjs'))});
        const cjs = createRequire(import.meta.url)(${JSON.stringify(path.join(outDir, 'index.js'))});
        const names = (m) => Object.keys(m).filter((k) => k !== '__esModule' && k !== 'default').sort();
        process.stdout.write(JSON.stringify({ esm: names(esm), cjs: names(cjs), same: esm.ModelSignals === cjs.ModelSignals }));`;
      const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, env: { PATH: process.env.PATH } });
      const { esm, cjs, same } = JSON.parse(out.toString());
      expect(esm).toEqual(cjs);
      expect(esm).toEqual(expect.arrayContaining(['ModelSignals', 'SIGNALS', 'CANARY_NAME_ENV', 'CANARY_STACK_ENV', 'STACK_DIMENSION', 'DEFAULT_VERSION', 'ModelRouter', 'choose', 'bucketOf']));
      expect(same).toBe(true);
    } finally {
      fs.rmSync(outDir, { recursive: true, force: true });
    }
  });

  test('package.json maps import and require of "." and "./runtime" to the ESM and CommonJS builds', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
    for (const [entry, dir] of [['.', 'lib'], ['./runtime', 'runtime']]) {
      expect(pkg.exports[entry]).toEqual({
        import: { types: `./dist/${dir}/index.d.mts`, default: `./dist/${dir}/index.mjs` },
        require: { types: `./dist/${dir}/index.d.ts`, default: `./dist/${dir}/index.js` },
      });
      // Each target is what tsc emits for the source beside it.
      expect(fs.existsSync(path.join(root, dir, 'index.ts')) && fs.existsSync(path.join(root, dir, 'index.mts'))).toBe(true);
    }
  });
});
