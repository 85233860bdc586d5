/**
 * A release whose new version changed the execution role (or DLQ) cannot be routed by weight:
 * Start fails before any traffic, and the rollback after the error alerts with the reason.
 */
import { DescribeAlarmsCommand, CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { GetAliasCommand, GetFunctionConfigurationCommand, LambdaClient, UpdateAliasCommand } from '@aws-sdk/client-lambda';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { handler as rollback } from '../../../lambda/handlers/rollback';
import { handler as start } from '../../../lambda/handlers/start';
import { alias, errorOf, freezeTime, healthyGuards, publishedAlerts, quietLogs, state } from '../helpers';

const lambda = mockClient(LambdaClient);
const cw = mockClient(CloudWatchClient);
const sns = mockClient(SNSClient);

beforeEach(() => {
  lambda.reset();
  cw.reset();
  sns.reset();
  freezeTime();
  quietLogs();
  lambda.on(GetAliasCommand).resolves(alias('5'));
  cw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: healthyGuards() });
  sns.on(PublishCommand).resolves({ MessageId: 'm' });
});
afterEach(() => jest.restoreAllMocks());

test('a new execution role: Start fails with the rule, no weight moves, and the alert says why', async () => {
  lambda.on(GetFunctionConfigurationCommand, { Qualifier: '5' }).resolves({ Version: '5', Role: 'arn:aws:iam::123456789012:role/model' });
  lambda.on(GetFunctionConfigurationCommand, { Qualifier: '6' }).resolves({ Version: '6', Role: 'arn:aws:iam::123456789012:role/model-v2' });

  const err = await errorOf(() => start(state({ progress: undefined })));
  expect(err.name).toBe('TargetStateMismatch');
  expect(lambda).not.toHaveReceivedCommand(UpdateAliasCommand);

  // What the workflow's Catch hands to RollBackAfterError: Lambda's error payload as Cause.
  const caught = { Error: err.name, Cause: JSON.stringify({ errorType: err.name, errorMessage: err.message }) };
  await rollback(state({ progress: undefined, error: caught }));
  const alert = publishedAlerts(sns).find((a) => a.body.event === 'FAILED');
  expect(alert).toBeDefined();
  expect(alert!.body.reason).toContain('differ in execution role (model vs model-v2)');
  expect(alert!.body.reason).toContain('same execution role and dead-letter queue');
  expect(alert!.body.reason).toContain('update-alias --function-version 6');
});

test('the same role and DLQ: Start goes on', async () => {
  lambda.on(GetFunctionConfigurationCommand).resolves({ Role: 'arn:aws:iam::123456789012:role/model' });
  await expect(start(state({ progress: undefined }))).resolves.toMatchObject({ decision: 'start' });
});
