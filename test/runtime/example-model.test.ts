import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

// The example app's model (bin/model/) takes its canary and stack from the variables the canary
// construct sets, so the code names no canary.
const ENV = { MODEL_CANARY_NAME: 'RenamedCanary', MODEL_CANARY_STACK: 'StagingStack', AWS_LAMBDA_FUNCTION_VERSION: '5' };

let saved: Record<string, string | undefined>;
beforeEach(() => {
  saved = Object.fromEntries(Object.keys(ENV).map((k) => [k, process.env[k]]));
  Object.assign(process.env, ENV);
});
afterEach(() => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

test('the example model records under the canary and stack of its environment', async () => {
  const lines: string[] = [];
  const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(...String(chunk).split('\n').filter((l) => l !== ''));
    return true;
  });
  try {
    let model!: typeof import('../../bin/model/sentiment-model');
    jest.isolateModules(() => {
      model = require('../../bin/model/sentiment-model');
    });
    const response = await model.handler({ text: 'great product' });
    expect(response.prediction).toBe('positive');
  } finally {
    write.mockRestore();
  }
  const docs = lines.map((l) => JSON.parse(l));
  expect(docs.map((d) => [d.Canary, d.Stack, d.Version, d.Class])).toEqual([
    ['RenamedCanary', 'StagingStack', '5', undefined],
    ['RenamedCanary', 'StagingStack', '5', 'positive'],
  ]);
});

test("the example model's module loads and answers with an empty environment, as in its own unit tests", () => {
  // A fresh process with nothing but PATH: no canary, stack or version variable, no AWS settings.
  const script = `require('./bin/model/sentiment-model.ts').handler({ text: 'great product' })
    .then((r) => process.stdout.write('RESULT ' + JSON.stringify(r)))`;
  const run = spawnSync(process.execPath, ['--require', 'tsx/cjs', '-e', script], {
    cwd: path.resolve(__dirname, '..', '..'),
    env: { PATH: process.env.PATH },
    encoding: 'utf8',
  });
  expect(run.status).toBe(0);
  // Nothing but the response on stdout: no EMF document without a canary and stack.
  expect(run.stdout).toMatch(/^RESULT \{"prediction":"positive","confidence":0\.91\}$/);
  // One warning, naming what to set and the switch that silences it.
  const warnings = run.stderr.split('\n').filter((l) => l.includes('ModelCanaryWarning'));
  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toMatch(/no MODEL_CANARY_NAME .* and no MODEL_CANARY_STACK .*MODEL_CANARY_SIGNALS_DISABLED=true/);
});
