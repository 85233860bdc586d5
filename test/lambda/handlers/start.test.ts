import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { GetAliasCommand, GetFunctionConfigurationCommand, LambdaClient, UpdateAliasCommand } from '@aws-sdk/client-lambda';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../../lambda/handlers/start';
import { GuardsNotReadyError, TargetStateError } from '../../../lambda/shared/errors';
import {
  GUARDS,
  NOW,
  RELEASE,
  alias,
  errorOf,
  freezeTime,
  healthyGuards,
  metricAlarm,
  plan,
  publishedAlerts,
  quietLogs,
  TOPIC_ARN,
} from '../helpers';

const lambda = mockClient(LambdaClient);
const cloudwatch = mockClient(CloudWatchClient);
const sns = mockClient(SNSClient);

const input = { plan: plan(), release: RELEASE };

beforeEach(() => {
  lambda.reset();
  cloudwatch.reset();
  sns.reset();
  freezeTime(NOW);
  quietLogs();
  lambda.on(GetAliasCommand).resolves(alias('5'));
  cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: healthyGuards() });
  sns.on(PublishCommand).resolves({ MessageId: 'm' });
});
afterEach(() => jest.restoreAllMocks());

describe('start handler', () => {
  describe('a guard that reads each version\'s guardrail version from its environment', () => {
    const guardrail = {
      name: 'BedrockGuardrailBlockRateVsStable',
      test: 'rate',
      description: 'guardrail',
      events: { namespace: 'AWS/Bedrock/Guardrails', metricName: 'InvocationsIntervened', dimensions: {} },
      trials: { namespace: 'AWS/Bedrock/Guardrails', metricName: 'Invocations', dimensions: {} },
      maxRatio: 1.5,
      versionVariable: 'GUARDRAIL_VERSION',
    } as const;
    const withGuard = { plan: plan({ judge: { alpha: 0.01, canaryName: 'sentiment', stackName: 'Stack', guards: [guardrail] } }), release: RELEASE };
    const environments = (stable: Record<string, string>, canary: Record<string, string>) => {
      lambda.on(GetFunctionConfigurationCommand, { Qualifier: '5' }).resolves({ Environment: { Variables: stable } });
      lambda.on(GetFunctionConfigurationCommand, { Qualifier: '6' }).resolves({ Environment: { Variables: canary } });
    };

    test('both values go into the progress, before any traffic', async () => {
      environments({ GUARDRAIL_VERSION: '2' }, { GUARDRAIL_VERSION: '3' });
      const out = await handler(withGuard);
      expect(out.guardVersions).toEqual({ BedrockGuardrailBlockRateVsStable: { stable: '2', canary: '3' } });
      expect(publishedAlerts(sns)[0].body.reason).toBeUndefined();
    });

    test('the same guardrail version on both: the STARTED alert says the guard judges nothing this time', async () => {
      environments({ GUARDRAIL_VERSION: '3' }, { GUARDRAIL_VERSION: '3' });
      await handler(withGuard);
      expect(publishedAlerts(sns)[0].body.reason).toContain('BedrockGuardrailBlockRateVsStable not judged: both versions name 3');
    });

    test('the canary version does not set it: the release fails before any traffic or alert, naming what to set', async () => {
      environments({ GUARDRAIL_VERSION: '2' }, {});
      const err = await errorOf(() => handler(withGuard));
      expect(err).toBeInstanceOf(TargetStateError);
      expect(err.message).toContain('version 6 sets none: set GUARDRAIL_VERSION');
      expect(sns).not.toHaveReceivedCommand(PublishCommand);
      expect(lambda).not.toHaveReceivedCommand(UpdateAliasCommand);
    });
  });

  test('an idle target with ready guards: progress before the first step and a STARTED alert', async () => {
    const out = await handler(input);
    expect(out).toEqual({
      stepIndex: -1,
      weightPercent: 0,
      startedAt: NOW,
      stepStartedAt: NOW,
      decision: 'start',
      waitSeconds: 0,
      canaryRequests: 0,
      holdAlerted: false,
      ignoredAlarms: [],
    });
    expect(cloudwatch).toHaveReceivedCommandWith(DescribeAlarmsCommand, { AlarmNames: GUARDS });
    const alerts = publishedAlerts(sns);
    expect(alerts).toHaveLength(1);
    expect(alerts[0].topicArn).toBe(TOPIC_ARN);
    expect(alerts[0].body).toMatchObject({ event: 'STARTED', stableVersion: '5', canaryVersion: '6', weightPercent: 0 });
    expect(alerts[0].body.step).toBeUndefined();
    expect(lambda).not.toHaveReceivedCommand(UpdateAliasCommand);
  });

  test('GuardsNotReady when a guard alarm does not exist yet', async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: healthyGuards().filter((a) => a.AlarmName !== GUARDS[1]) });
    const err = await errorOf(() => handler(input));
    expect(err).toBeInstanceOf(GuardsNotReadyError);
    expect(err.name).toBe('GuardsNotReady');
    expect(err.message).toContain(GUARDS[1]);
    expect(sns).not.toHaveReceivedCommand(PublishCommand);
  });

  test('GuardsNotReady while a version-scoped alarm still shows the ALARM state it had before CloudFormation updated it', async () => {
    const guards = healthyGuards().map((a) =>
      a.AlarmName === GUARDS[0]
        ? { ...a, StateValue: 'ALARM' as const, StateTransitionedTimestamp: new Date((NOW - 600) * 1000), AlarmConfigurationUpdatedTimestamp: new Date((NOW - 60) * 1000) }
        : a,
    );
    cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: guards });
    const err = await errorOf(() => handler(input));
    expect(err.name).toBe('GuardsNotReady');
    expect(err.message).toContain('previous version');
    expect(sns).not.toHaveReceivedCommand(PublishCommand);
  });

  test('GuardsNotReady when a version-scoped alarm still watches the previous canary', async () => {
    const guards = healthyGuards().map((a) => (a.AlarmName === GUARDS[0] ? metricAlarm(GUARDS[0], { versions: ['4', '5'] }) : a));
    cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: guards });
    const err = await errorOf(() => handler(input));
    expect(err.name).toBe('GuardsNotReady');
    expect(err.message).toContain('version 6');
    expect(err.message).toContain(GUARDS[0]);
    expect(err.message).not.toContain(GUARDS[1]);
    expect(sns).not.toHaveReceivedCommand(PublishCommand);
  });

  test('a user alarm (not version-scoped) needs no version', async () => {
    // GUARDS[2] is the user's alarm: no ExecutedVersion dimension at all
    await expect(handler(input)).resolves.toMatchObject({ decision: 'start' });
  });

  test('a user alarm already in ALARM is ignored from then on and named in the STARTED alert', async () => {
    const guards = healthyGuards().map((a) => (a.AlarmName === GUARDS[2] ? metricAlarm(GUARDS[2], { state: 'ALARM', updatedAt: NOW - 86_400 }) : a));
    cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: guards });
    const out = await handler(input);
    expect(out.ignoredAlarms).toEqual([GUARDS[2]]);
    expect(out.decision).toBe('start');
    const [alert] = publishedAlerts(sns);
    expect(alert.body.event).toBe('STARTED');
    expect(alert.body.reason).toContain(GUARDS[2]);
  });

  test('a version-scoped alarm in ALARM is not put on the ignore list', async () => {
    const guards = healthyGuards().map((a) => (a.AlarmName === GUARDS[0] ? metricAlarm(GUARDS[0], { state: 'ALARM', versions: ['6', '5'] }) : a));
    cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: guards });
    const out = await handler(input);
    expect(out.ignoredAlarms).toEqual([]);
  });

  test.each([
    ['superseded (another release owns the alias)', alias('5', { version: '7', weight: 0.1 }), 'superseded'],
    ['superseded (another stable)', alias('4'), 'superseded'],
    ['promoted (someone promoted the canary)', alias('6'), 'promoted'],
  ])('%s -> externalStop, no guards read, no alert', async (_name, current, outcome) => {
    lambda.on(GetAliasCommand).resolves(current);
    const out = await handler(input);
    expect(out).toMatchObject({ decision: 'external', externalOutcome: outcome, stepIndex: -1 });
    expect(cloudwatch).not.toHaveReceivedCommand(DescribeAlarmsCommand);
    expect(sns).not.toHaveReceivedCommand(PublishCommand);
  });

  test('the canary already has weight: TargetStateMismatch', async () => {
    lambda.on(GetAliasCommand).resolves(alias('5', { version: '6', weight: 0.05 }));
    const err = await errorOf(() => handler(input));
    expect(err).toBeInstanceOf(TargetStateError);
    expect(err.message).toContain('5%');
  });

  test('our canary at weight 0 counts as idle', async () => {
    lambda.on(GetAliasCommand).resolves(alias('5', { version: '6', weight: 0 }));
    await expect(handler(input)).resolves.toMatchObject({ decision: 'start' });
  });

  test('stable and canary the same version: TargetStateMismatch before any call', async () => {
    const err = await errorOf(() => handler({ plan: plan(), release: { stableVersion: '6', canaryVersion: '6' } }));
    expect(err.name).toBe('TargetStateMismatch');
    expect(lambda).not.toHaveReceivedAnyCommand();
  });
});
