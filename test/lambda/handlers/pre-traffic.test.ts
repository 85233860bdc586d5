import { InvokeCommand, LambdaClient, UpdateAliasCommand } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../../lambda/handlers/pre-traffic';
import { PreTrafficCheckFailedError } from '../../../lambda/shared/errors';
import { FUNCTION_NAME, RELEASE, errorOf, plan, progress, quietLogs } from '../helpers';

const lambda = mockClient(LambdaClient);
const encode = (s: string) => new TextEncoder().encode(s) as never;
const startProgress = progress({ stepIndex: -1, weightPercent: 0, decision: 'start' });

beforeEach(() => {
  lambda.reset();
  quietLogs();
});
afterEach(() => jest.restoreAllMocks());

describe('pre-traffic handler', () => {
  test('sends each request `repeat` times to the canary version and passes the progress on', async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: encode('{"label":"positive"}') });
    const state = {
      plan: plan({
        preTrafficChecks: [
          { payload: '{"text":"warm"}', repeat: 3 },
          { payload: '{"text":"great"}', repeat: 2, expectResponseContains: 'positive' },
        ],
      }),
      release: RELEASE,
      progress: startProgress,
    };
    await expect(handler(state)).resolves.toBe(startProgress);
    expect(lambda).toHaveReceivedCommandTimes(InvokeCommand, 5);
    const sent = lambda.commandCalls(InvokeCommand).map((c) => [c.args[0].input.Qualifier, new TextDecoder().decode(c.args[0].input.Payload as Uint8Array)]);
    expect(sent).toEqual([
      ['6', '{"text":"warm"}'],
      ['6', '{"text":"warm"}'],
      ['6', '{"text":"warm"}'],
      ['6', '{"text":"great"}'],
      ['6', '{"text":"great"}'],
    ]);
    expect(lambda).toHaveReceivedCommandWith(InvokeCommand, { FunctionName: FUNCTION_NAME });
    expect(lambda).not.toHaveReceivedCommand(UpdateAliasCommand);
  });

  test('no checks: no requests', async () => {
    await expect(handler({ plan: plan(), release: RELEASE, progress: startProgress })).resolves.toBe(startProgress);
    expect(lambda).not.toHaveReceivedAnyCommand();
  });

  test('a FunctionError fails with PreTrafficCheckFailed and stops sending', async () => {
    lambda
      .on(InvokeCommand)
      .resolvesOnce({ StatusCode: 200, Payload: encode('ok') })
      .resolves({ StatusCode: 200, FunctionError: 'Unhandled', Payload: encode('{"errorMessage":"CUDA out of memory"}') });
    const state = { plan: plan({ preTrafficChecks: [{ payload: '{}', repeat: 5 }] }), release: RELEASE, progress: startProgress };
    const err = await errorOf(() => handler(state));
    expect(err).toBeInstanceOf(PreTrafficCheckFailedError);
    expect(err.name).toBe('PreTrafficCheckFailed');
    expect(err.message).toContain('CUDA out of memory');
    expect(lambda).toHaveReceivedCommandTimes(InvokeCommand, 2);
  });

  test('a response without the expected text fails with PreTrafficCheckFailed', async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: encode('{"label":"negative"}') });
    const state = {
      plan: plan({ preTrafficChecks: [{ payload: '{}', repeat: 1, expectResponseContains: '"positive"' }] }),
      release: RELEASE,
      progress: startProgress,
    };
    const err = await errorOf(() => handler(state));
    expect(err.name).toBe('PreTrafficCheckFailed');
    expect(err.message).toContain('does not contain');
    expect(err.message).toContain('negative');
  });

  test('a throttled Invoke is transient, not a failed check', async () => {
    lambda.on(InvokeCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'TooManyRequestsException', $metadata: { httpStatusCode: 429 } }));
    const state = { plan: plan({ preTrafficChecks: [{ payload: '{}', repeat: 1 }] }), release: RELEASE, progress: startProgress };
    const err = await errorOf(() => handler(state));
    expect(err.name).toBe('TransientAwsError');
  });
});
