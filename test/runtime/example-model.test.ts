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
