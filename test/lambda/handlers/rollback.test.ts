import { GetAliasCommand, LambdaClient, PreconditionFailedException, UpdateAliasCommand } from '@aws-sdk/client-lambda';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../../lambda/handlers/rollback';
import { NOW, RELEASE, alias, errorOf, freezeTime, plan, progress, publishedAlerts, quietLogs } from '../helpers';

const lambda = mockClient(LambdaClient);
const sns = mockClient(SNSClient);

const guardFailed = progress({
  stepIndex: 1,
  weightPercent: 25,
  decision: 'rollback',
  reason: 'guard alarm in ALARM: stack-sentiment-ErrorRate',
  alarm: { name: 'stack-sentiment-ErrorRate', value: 0.2, threshold: 0.05 },
});
const lambdaCause = JSON.stringify({ errorType: 'PreTrafficCheckFailed', errorMessage: 'pre-traffic request 1 failed: Unhandled' });

beforeEach(() => {
  lambda.reset();
  sns.reset();
  freezeTime(NOW);
  quietLogs();
  lambda.on(UpdateAliasCommand).resolves({});
  sns.on(PublishCommand).resolves({ MessageId: 'm' });
});
afterEach(() => jest.restoreAllMocks());

describe('rollback handler', () => {
  test("this release's canary holds weight: weight 0 conditionally, ROLLED_BACK alert with the alarm and the weight", async () => {
    lambda.on(GetAliasCommand).resolves(alias('5', { version: '6', weight: 0.25 }, 'rev-30'));
    const out = await handler({ plan: plan(), release: RELEASE, progress: guardFailed });
    expect(lambda).toHaveReceivedCommandTimes(UpdateAliasCommand, 1);
    expect(lambda).toHaveReceivedCommandWith(UpdateAliasCommand, {
      FunctionVersion: '5',
      RoutingConfig: { AdditionalVersionWeights: {} },
      RevisionId: 'rev-30',
    });
    expect(out).toMatchObject({ decision: 'rollback', weightPercent: 0, reason: guardFailed.reason });
    const [alert] = publishedAlerts(sns);
    expect(alert.body).toMatchObject({
      event: 'ROLLED_BACK',
      weightPercent: 25,
      alarm: { name: 'stack-sentiment-ErrorRate', value: 0.2, threshold: 0.05 },
      step: { number: 2, of: 3 },
    });
    expect(alert.subject).toContain('ROLLED BACK');
  });

  test('the weight in the alert is what the alias had, not what the workflow last set', async () => {
    lambda.on(GetAliasCommand).resolves(alias('5', { version: '6', weight: 0.05 }));
    await handler({ plan: plan(), release: RELEASE, progress: { ...guardFailed, weightPercent: 25 } });
    expect(publishedAlerts(sns)[0].body.weightPercent).toBe(5);
  });

  test('after an error (Catch): FAILED alert with the unwrapped error message', async () => {
    lambda.on(GetAliasCommand).resolves(alias('5', { version: '6', weight: 0.05 }));
    const out = await handler({
      plan: plan(),
      release: RELEASE,
      progress: progress({ stepIndex: 0, weightPercent: 5, decision: 'bake' }),
      error: { Error: 'PreTrafficCheckFailed', Cause: lambdaCause },
    });
    expect(lambda).toHaveReceivedCommand(UpdateAliasCommand);
    expect(out.reason).toBe('PreTrafficCheckFailed: pre-traffic request 1 failed: Unhandled');
    const [alert] = publishedAlerts(sns);
    expect(alert.body.event).toBe('FAILED');
    expect(alert.body.reason).toContain('pre-traffic request 1 failed');
    expect(alert.subject).toContain('FAILED');
  });

  test('an error before Start wrote any progress: no canary weight, still a FAILED alert', async () => {
    lambda.on(GetAliasCommand).resolves(alias('5'));
    const out = await handler({ plan: plan(), release: RELEASE, error: { Error: 'GuardsNotReady', Cause: 'alarms not found' } });
    expect(lambda).not.toHaveReceivedCommand(UpdateAliasCommand);
    expect(out).toMatchObject({ stepIndex: -1, weightPercent: 0, decision: 'rollback', reason: 'GuardsNotReady: alarms not found' });
    expect(publishedAlerts(sns)[0].body).toMatchObject({ event: 'FAILED', weightPercent: 0 });
  });

  test('weight already 0 (the fast path was first): no UpdateAlias, the ROLLED_BACK alert with the alarm and the weight it had', async () => {
    lambda.on(GetAliasCommand).resolves(alias('5'));
    const out = await handler({ plan: plan(), release: RELEASE, progress: guardFailed });
    expect(out).toMatchObject({ decision: 'rollback', weightPercent: 0 });
    expect(lambda).not.toHaveReceivedCommand(UpdateAliasCommand);
    expect(publishedAlerts(sns).map((a) => a.body)).toEqual([expect.objectContaining({ event: 'ROLLED_BACK', weightPercent: 25 })]);
  });

  test('a guard failing before the canary had any share still alerts', async () => {
    lambda.on(GetAliasCommand).resolves(alias('5'));
    await handler({ plan: plan(), release: RELEASE, progress: { ...guardFailed, weightPercent: 0 } });
    expect(publishedAlerts(sns)[0].body).toMatchObject({ event: 'ROLLED_BACK' });
  });

  test('the canary was already promoted: left serving, the alert says so', async () => {
    lambda.on(GetAliasCommand).resolves(alias('6'));
    await handler({ plan: plan(), release: RELEASE, progress: guardFailed });
    expect(lambda).not.toHaveReceivedCommand(UpdateAliasCommand);
    expect(publishedAlerts(sns)[0].body.reason).toContain('already been promoted');
  });

  test('another release owns the alias: left alone, the alert says so', async () => {
    lambda.on(GetAliasCommand).resolves(alias('5', { version: '7', weight: 0.05 }));
    await handler({ plan: plan(), release: RELEASE, progress: guardFailed });
    expect(lambda).not.toHaveReceivedCommand(UpdateAliasCommand);
    expect(publishedAlerts(sns)[0].body.reason).toContain('another release owns the target');
  });

  test('the alias changed under the rollback: TargetStateMismatch, no alert (the workflow retries or escalates)', async () => {
    lambda.on(GetAliasCommand).resolves(alias('5', { version: '6', weight: 0.25 }));
    lambda.on(UpdateAliasCommand).rejects(new PreconditionFailedException({ message: 'revision', $metadata: { httpStatusCode: 412 } }));
    const err = await errorOf(() => handler({ plan: plan(), release: RELEASE, progress: guardFailed }));
    expect(err.name).toBe('TargetStateMismatch');
    expect(sns).not.toHaveReceivedCommand(PublishCommand);
  });

  test('a throttled UpdateAlias: TransientAwsError, no alert yet', async () => {
    lambda.on(GetAliasCommand).resolves(alias('5', { version: '6', weight: 0.25 }));
    lambda.on(UpdateAliasCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'TooManyRequestsException', $metadata: { httpStatusCode: 429 } }));
    const err = await errorOf(() => handler({ plan: plan(), release: RELEASE, progress: guardFailed }));
    expect(err.name).toBe('TransientAwsError');
    expect(sns).not.toHaveReceivedCommand(PublishCommand);
  });
});
