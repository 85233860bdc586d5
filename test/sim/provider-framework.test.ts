/** The simulator's copy of the CDK Provider framework's waiter (sim/aws/cloudformation/provider-framework.ts). */
import { synthesizeExampleStack } from '../../sim';
import { isCompleteRequest, playWaiter, waiterPolicy } from '../../sim/aws/cloudformation/provider-framework';

describe('waiterPolicy', () => {
  const { template } = synthesizeExampleStack();
  const releases = Object.values(template.Resources).filter((r) => r.Type === 'Custom::ModelCanaryRelease');

  it('reads the release provider\'s waiter: every 30 s, for an hour (120 retries)', () => {
    expect(releases).toHaveLength(2);
    for (const r of releases) expect(waiterPolicy(template, r.Properties?.ServiceToken)).toEqual({ intervalSeconds: 30, maxAttempts: 120 });
  });

  it('a provider without isCompleteHandler has no waiter', () => {
    expect(waiterPolicy(template, { 'Fn::GetAtt': ['NoSuchFunction', 'Arn'] })).toBeUndefined();
  });
});

describe('playWaiter', () => {
  const policy = { intervalSeconds: 30, maxAttempts: 3 };
  const run = async (answers: { result?: unknown; error?: { errorType: string; errorMessage: string; trace: string[] } }[]) => {
    const waits: number[] = [];
    let calls = 0;
    const failure = await playWaiter(policy, async () => answers[Math.min(calls++, answers.length - 1)], async (ms) => void waits.push(ms));
    return { failure, calls, waits };
  };

  it('calls at once, then every interval, until IsComplete', async () => {
    expect(await run([{ result: { IsComplete: false } }, { result: { IsComplete: false } }, { result: { IsComplete: true } }])).toEqual({ failure: undefined, calls: 3, waits: [30_000, 30_000] });
  });

  it('times out after the first call and maxAttempts retries', async () => {
    expect(await run([{ result: { IsComplete: false } }])).toEqual({ failure: { message: 'Operation timed out' }, calls: 4, waits: [30_000, 30_000, 30_000] });
  });

  it('fails with the function\'s error at once', async () => {
    const error = { errorType: 'TargetStateError', errorMessage: 'endpoint could not be created', trace: [] };
    const { failure, calls } = await run([{ error }]);
    expect(failure).toEqual({ message: 'TargetStateError: endpoint could not be created', error });
    expect(calls).toBe(1);
  });

  it('refuses Data with IsComplete false, as the framework does', async () => {
    expect((await run([{ result: { IsComplete: false, Data: { x: 1 } } }])).failure?.message).toBe('"Data" is not allowed if "IsComplete" is "False"');
  });
});

describe('isCompleteRequest', () => {
  it('is the request merged with the handler\'s result; a Create without a physical id in the result gets the RequestId', () => {
    expect(isCompleteRequest({ RequestType: 'Create', RequestId: 'r1' }, { Data: { Action: 'created' }, Marker: true })).toEqual({
      RequestType: 'Create',
      RequestId: 'r1',
      Data: { Action: 'created' },
      Marker: true,
      PhysicalResourceId: 'r1',
    });
  });
});
