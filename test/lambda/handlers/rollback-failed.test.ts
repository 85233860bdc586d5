import { LambdaClient } from '@aws-sdk/client-lambda';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { handler as rollbackFailed } from '../../../lambda/handlers/rollback-failed';
import { NOW, RELEASE, freezeTime, plan, progress, publishedAlerts } from '../helpers';

const lambda = mockClient(LambdaClient);
const sns = mockClient(SNSClient);

const guardFailed = progress({ stepIndex: 1, weightPercent: 25, decision: 'rollback', reason: 'guard alarm in ALARM: ErrorRate' });

beforeEach(() => {
  lambda.reset();
  sns.reset();
  freezeTime(NOW);
  sns.on(PublishCommand).resolves({ MessageId: 'm' });
});
afterEach(() => jest.restoreAllMocks());

describe('rollback-failed handler', () => {
  test('publishes ROLLBACK_FAILED with the error and the weight the canary may still have', async () => {
    const out = await rollbackFailed({
      plan: plan(),
      release: RELEASE,
      progress: guardFailed,
      error: { Error: 'States.TaskFailed', Cause: JSON.stringify({ errorMessage: 'AccessDeniedException: not authorized to UpdateAlias' }) },
    });
    expect(out).toEqual({ alerted: true });
    expect(lambda).not.toHaveReceivedAnyCommand();
    const alerts = publishedAlerts(sns);
    expect(alerts).toHaveLength(1);
    expect(alerts[0].subject).toContain('ACTION NEEDED');
    expect(alerts[0].body).toMatchObject({ event: 'ROLLBACK_FAILED', weightPercent: 25, canaryVersion: '6' });
    expect(alerts[0].body.reason).toBe('States.TaskFailed: AccessDeniedException: not authorized to UpdateAlias');
    expect(alerts[0].body.summary).toContain('set its weight to 0 by hand');
  });

  test('an SNS failure is thrown (the workflow ends failed either way)', async () => {
    sns.on(PublishCommand).rejects(Object.assign(new Error('denied'), { name: 'AuthorizationErrorException', $metadata: { httpStatusCode: 403 } }));
    await expect(rollbackFailed({ plan: plan(), release: RELEASE, progress: guardFailed })).rejects.toThrow('denied');
  });
});
