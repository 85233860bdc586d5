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

  describe('retries of failed requests', () => {
    const failing = { StatusCode: 200, FunctionError: 'Unhandled', Payload: encode('{"errorMessage":"transient"}') };
    const fine = { StatusCode: 200, Payload: encode('{"prediction":"positive"}') };
    let waits: number[];
    beforeEach(() => {
      waits = [];
      // Backoff without real waiting: record each delay and run the callback at once.
      jest.spyOn(global, 'setTimeout').mockImplementation(((fn: () => void, ms?: number) => {
        waits.push(ms ?? 0);
        fn();
        return 0 as never;
      }) as never);
    });

    test('a transient error is sent again after 1 s and the check passes', async () => {
      lambda.on(InvokeCommand).resolvesOnce(fine).resolvesOnce(failing).resolves(fine);
      const state = { plan: plan({ preTrafficChecks: [{ payload: '{}', repeat: 3, retries: 2 }] }), release: RELEASE, progress: startProgress };
      await expect(handler(state)).resolves.toBe(startProgress);
      expect(lambda).toHaveReceivedCommandTimes(InvokeCommand, 4);
      expect(waits).toEqual([1000]);
    });

    test('a model that keeps failing still fails, after the retries (1 s, then 2 s)', async () => {
      lambda.on(InvokeCommand).resolves(failing);
      const state = { plan: plan({ preTrafficChecks: [{ payload: '{}', repeat: 3, retries: 2 }] }), release: RELEASE, progress: startProgress };
      const err = await errorOf(() => handler(state));
      expect(err.name).toBe('PreTrafficCheckFailed');
      expect(err.message).toMatch(/request 1 failed \(after 2 retries\): .*transient/);
      expect(lambda).toHaveReceivedCommandTimes(InvokeCommand, 3);
      expect(waits).toEqual([1000, 2000]);
    });

    test('the budget is per check, in all: a third failure fails even on another request', async () => {
      lambda.on(InvokeCommand).resolvesOnce(failing).resolvesOnce(fine).resolvesOnce(failing).resolvesOnce(fine).resolves(failing);
      const state = { plan: plan({ preTrafficChecks: [{ payload: '{}', repeat: 3, retries: 2 }] }), release: RELEASE, progress: startProgress };
      expect((await errorOf(() => handler(state))).message).toMatch(/after 2 retries/);
      expect(lambda).toHaveReceivedCommandTimes(InvokeCommand, 5);
    });

    test('a wrong response is not retried', async () => {
      lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: encode('{"prediction":"negative"}') });
      const state = { plan: plan({ preTrafficChecks: [{ payload: '{}', repeat: 1, retries: 2, expectResponseContains: 'positive' }] }), release: RELEASE, progress: startProgress };
      expect((await errorOf(() => handler(state))).message).toContain('does not contain');
      expect(lambda).toHaveReceivedCommandTimes(InvokeCommand, 1);
    });

    /**
     * 1,000 releases of a healthy model with 2 % transient errors, the example's check (3 requests):
     * without retries about 1 - 0.98^3 = 5.9 % fail; with the default 2 retries a release fails only
     * with 3 errors in at most 5 requests (about 0.008 %).
     */
    test.each([
      [0, 30, 90],
      [2, 0, 2],
    ])('1,000 releases at 2 %% errors with %d retries: between %d and %d fail', async (retries, min, max) => {
      let seed = 12345;
      const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
      lambda.on(InvokeCommand).callsFake(() => (random() < 0.02 ? failing : fine));
      let failed = 0;
      for (let r = 0; r < 1000; r++) {
        const state = { plan: plan({ preTrafficChecks: [{ payload: '{}', repeat: 3, retries, expectResponseContains: 'prediction' }] }), release: RELEASE, progress: startProgress };
        try {
          await handler(state);
        } catch {
          failed++;
        }
      }
      process.stdout.write(`pre-traffic: ${failed} of 1000 healthy releases failed with ${retries} retries\n`);
      expect(failed).toBeGreaterThanOrEqual(min);
      expect(failed).toBeLessThanOrEqual(max);
    });
  });
});
