/**
 * runtime/emf-contract.json is the one definition of the model signals. The TypeScript constants
 * (runtime/signal-names.ts, runtime/index.ts) and the Python package's copy must agree with it, so a
 * rename on one side breaks this test instead of silently starving the guards of data.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as runtime from '../../runtime';
import contract from '../../runtime/emf-contract.json';

const root = path.resolve(__dirname, '..', '..');

/** The dimension whose TypeScript option (or request field) is `name`. */
function dimensionOf(name: string): string {
  const found = Object.entries(contract.dimensions).filter(([, d]) => ('option' in d ? d.option : d.field).typescript === name);
  expect(found).toHaveLength(1);
  return found[0][0];
}

describe('runtime/signal-names.ts agrees with runtime/emf-contract.json', () => {
  test('metric names, by the same keys', () => {
    expect(runtime.SIGNALS).toEqual(Object.fromEntries(Object.entries(contract.metrics).map(([k, m]) => [k, m.name])));
  });

  test('namespace and dimension names', () => {
    expect(runtime.SIGNAL_NAMESPACE).toBe(contract.namespace.default);
    expect(runtime.CANARY_DIMENSION).toBe(dimensionOf('canaryName'));
    expect(runtime.STACK_DIMENSION).toBe(dimensionOf('stackName'));
    expect(runtime.VERSION_DIMENSION).toBe(dimensionOf('version'));
    expect(runtime.CLASS_DIMENSION).toBe(dimensionOf('predictedClass'));
    expect(contract.documents.request.dimensions).toEqual([runtime.CANARY_DIMENSION, runtime.STACK_DIMENSION, runtime.VERSION_DIMENSION]);
    expect(contract.documents.prediction.dimensions).toEqual([...contract.documents.request.dimensions, runtime.CLASS_DIMENSION]);
  });

  test('environment variables, default version and class length', () => {
    expect(runtime.CANARY_NAME_ENV).toBe(contract.environment.canaryName);
    expect(runtime.CANARY_STACK_ENV).toBe(contract.environment.stackName);
    expect(runtime.VERSION_ENV).toBe(contract.environment.version);
    expect(runtime.LAMBDA_VERSION_ENV).toBe(contract.environment.lambdaVersion);
    expect(runtime.DELIVERY_ENV).toBe(contract.environment.delivery);
    // The construct sets this delivery in SageMakerModelCanary.modelEnvironment.
    expect(Object.keys(contract.delivery)).toContain(runtime.PUT_METRIC_DATA_DELIVERY);
    expect(contract.dimensions.Canary.env).toEqual([runtime.CANARY_NAME_ENV]);
    expect(contract.dimensions.Stack.env).toEqual([runtime.CANARY_STACK_ENV]);
    expect(contract.dimensions.Version.env).toEqual([runtime.VERSION_ENV, runtime.LAMBDA_VERSION_ENV]);
    expect(runtime.DEFAULT_VERSION).toBe(contract.dimensions.Version.default);
    expect(runtime.MAX_CLASS_LENGTH).toBe(contract.dimensions.Class.maxLength);
    expect(runtime.HIGH_RESOLUTION_ENV).toBe(contract.environment.highResolution);
    expect(contract.highResolution.env).toBe(runtime.HIGH_RESOLUTION_ENV);
  });

  /** The metric definitions the TypeScript helper writes for one request with every signal. */
  function writtenDefinitions(options: runtime.ModelSignalsOptions): { Name: string; StorageResolution?: number }[] {
    const written: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    try {
      new runtime.ModelSignals({ canaryName: 'c', stackName: 's', version: '1', ...options }).record({ inputTokens: 1, error: false, latencyMs: 3 });
    } finally {
      spy.mockRestore();
    }
    return written.join('').split('\n').filter(Boolean).flatMap((l) => JSON.parse(l)._aws.CloudWatchMetrics.flatMap((d: { Metrics: object[] }) => d.Metrics));
  }

  test('high resolution: exactly the contract\'s metrics at its resolution, by option or by variable', () => {
    const high = new Set(contract.highResolution.metrics.map((k) => contract.metrics[k as keyof typeof contract.metrics].name));
    const expectHigh = (defs: { Name: string; StorageResolution?: number }[]) => {
      expect(defs.filter((d) => d.StorageResolution === contract.highResolution.storageResolution).map((d) => d.Name).sort()).toEqual([...high].sort());
      expect(defs.filter((d) => !high.has(d.Name)).every((d) => d.StorageResolution === undefined)).toBe(true);
    };
    expectHigh(writtenDefinitions({ highResolution: true }));
    expect(writtenDefinitions({}).some((d) => d.StorageResolution !== undefined)).toBe(false);
    process.env[runtime.HIGH_RESOLUTION_ENV] = 'true';
    try {
      expectHigh(writtenDefinitions({}));
      // The option wins over the variable.
      expect(writtenDefinitions({ highResolution: false }).some((d) => d.StorageResolution !== undefined)).toBe(false);
    } finally {
      delete process.env[runtime.HIGH_RESOLUTION_ENV];
    }
  });

  test('the TypeScript helper writes the units and resolution of the contract', () => {
    const written: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    try {
      new runtime.ModelSignals({ canaryName: 'c', stackName: 's', version: '1' }).record({
        inputTokens: 1, outputTokens: 1, guardrailIntervened: true, schemaValid: true, responseLength: 1, predictedClass: 'a', error: true, latencyMs: 1,
      });
    } finally {
      spy.mockRestore();
    }
    const definitions = written.join('').split('\n').filter(Boolean)
      .flatMap((l) => JSON.parse(l)._aws.CloudWatchMetrics.flatMap((d: { Metrics: object[] }) => d.Metrics));
    const expected = Object.values(contract.metrics).map((m) => ({
      Name: m.name,
      Unit: m.unit,
      // EMF's default resolution is standard (60 s); it is written only when high (1 s).
      ...(m.storageResolution === 60 ? {} : { StorageResolution: m.storageResolution }),
    }));
    expect(definitions).toEqual(expect.arrayContaining(expected));
    expect(definitions).toHaveLength(expected.length);
  });

  test('the contract stays within the EMF limits and every metric is in one document', () => {
    for (const doc of Object.values(contract.documents)) {
      expect(doc.metrics.length).toBeLessThanOrEqual(contract.limits.emfMetricsPerDirective);
      expect(doc.dimensions.length).toBeLessThanOrEqual(contract.limits.emfDimensionsPerSet);
    }
    const placed = Object.entries(contract.documents).flatMap(([name, d]) => d.metrics.map((k) => [k, name]));
    expect(Object.fromEntries(placed)).toEqual(Object.fromEntries(Object.entries(contract.metrics).map(([k, m]) => [k, m.document])));
    expect(placed).toHaveLength(Object.keys(contract.metrics).length);
  });

  test('the Python package ships the same contract, byte for byte', () => {
    const copy = path.join(root, 'python', 'src', 'cdk_model_canary_runtime', 'emf_contract.json');
    // Read as text: a different file here means: copy runtime/emf-contract.json over it.
    expect(fs.readFileSync(copy, 'utf8')).toBe(fs.readFileSync(path.join(root, 'runtime', 'emf-contract.json'), 'utf8'));
  });
});
