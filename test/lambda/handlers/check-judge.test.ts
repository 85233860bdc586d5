import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  type GetMetricDataCommandInput,
  type MetricAlarm,
  PutMetricDataCommand,
} from '@aws-sdk/client-cloudwatch';
import { GetAliasCommand, LambdaClient, UpdateAliasCommand } from '@aws-sdk/client-lambda';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { handler as check } from '../../../lambda/handlers/check';
import { handler as onAlarm, type AlarmFastPathEvent } from '../../../lambda/handlers/on-alarm';
import { handler as start } from '../../../lambda/handlers/start';
import { readAlarms } from '../../../lambda/shared/alarms';
import { type JudgePlan, VERSION_PLACEHOLDER } from '../../../lambda/shared/judge-plan';
import type { RolloutState } from '../../../lambda/shared/types';
import {
  CANARIES,
  FUNCTION_NAME,
  descriptor,
  registry,
  GUARDS,
  NOW,
  RELEASE,
  SCOPED,
  alias,
  errorOf,
  freezeTime,
  healthyGuards,
  metricAlarm,
  plan,
  progress,
  publishedAlerts,
  quietLogs,
} from '../helpers';

/**
 * The judged guards in the check step (issue 8): errors and the prediction shift, canary against
 * stable, from per-minute counts; and the signal alarms' `Version` dimension scopes them to
 * the canary in the start step and the alarm fast path.
 */

const lambda = mockClient(LambdaClient);
const cloudwatch = mockClient(CloudWatchClient);
const sns = mockClient(SNSClient);

/** The judge of a plan: error odds and predicted classes, canary against stable. */
const JUDGE: JudgePlan = {
  alpha: 0.01,
  canaryName: 'sentiment',
  stackName: 'stack',
  guards: [
    {
      name: 'ErrorRateVsStable',
      test: 'rate',
      eventsLabel: 'errors',
      description: "canary error odds more than 1.5 × stable's",
      events: { namespace: 'AWS/Lambda', metricName: 'Errors', dimensions: { FunctionName: FUNCTION_NAME, ExecutedVersion: VERSION_PLACEHOLDER } },
      trials: { namespace: 'AWS/Lambda', metricName: 'Invocations', dimensions: { FunctionName: FUNCTION_NAME, ExecutedVersion: VERSION_PLACEHOLDER } },
      maxRatio: 1.5,
    },
    {
      name: 'PredictionShift',
      test: 'classes',
      description: "a class's odds more than 1.5 × (or less than 1/1.5 of) stable's",
      maxRatio: 1.5,
      classes: ['positive', 'negative'].map((k) => ({
        name: k,
        metric: { namespace: 'ModelCanary', metricName: 'Prediction', dimensions: { Canary: 'sentiment', Stack: 'ModelStack', Version: VERSION_PLACEHOLDER, Class: k } },
      })),
    },
  ],
};

type ClassCounts = Record<string, number>;

interface Traffic {
  /** Lambda Invocations and Errors per version, per minute. */
  readonly requests: Record<string, number>;
  readonly errors: Record<string, number>;
  /** Prediction counts per version and class, per minute. */
  readonly predictions: Record<string, ClassCounts>;
}

/**
 * GetMetricData answers from the query's metric itself (namespace, name, dimensions), so a query
 * for the wrong metric gets nothing: the same counts in each of the 5 minutes before NOW.
 */
function serve(traffic: Traffic): void {
  cloudwatch.on(GetMetricDataCommand).callsFake((input: GetMetricDataCommandInput) => ({
    MetricDataResults: (input.MetricDataQueries ?? []).map((q) => {
      const metric = q.MetricStat!.Metric!;
      const dims = Object.fromEntries((metric.Dimensions ?? []).map((d) => [d.Name, d.Value]));
      let perMinute = 0;
      if (metric.Namespace === 'AWS/Lambda' && dims.FunctionName === FUNCTION_NAME) {
        perMinute = (metric.MetricName === 'Errors' ? traffic.errors : traffic.requests)[dims.ExecutedVersion!] ?? 0;
      }
      if (metric.Namespace === 'ModelCanary' && metric.MetricName === 'Prediction' && dims.Canary === 'sentiment' && dims.Stack === 'ModelStack') {
        perMinute = traffic.predictions[dims.Version!]?.[dims.Class!] ?? 0;
      }
      expect(q.MetricStat!.Stat).toBe('Sum');
      const minutes = [1, 2, 3, 4, 5].map((m) => Math.floor(NOW / 60) * 60 - m * 60);
      const start = input.StartTime!.getTime() / 1000;
      const inRange = minutes.filter((t) => t >= start);
      return { Id: q.Id, Timestamps: inRange.map((t) => new Date(t * 1000)), Values: inRange.map(() => perMinute) };
    }),
  }));
}

/** Step 1 (5 %, bake 600 s) with the judge, started `elapsed` seconds ago. */
function stateAt(elapsed: number, judge: JudgePlan | null = JUDGE): RolloutState {
  return {
    plan: { ...plan(), judge },
    release: RELEASE,
    progress: progress({ stepIndex: 0, weightPercent: 5, startedAt: NOW - elapsed - 60, stepStartedAt: NOW - elapsed }),
  };
}

const STABLE_CLASSES = { positive: 600, negative: 400 };

beforeEach(() => {
  lambda.reset();
  cloudwatch.reset();
  sns.reset();
  freezeTime(NOW);
  quietLogs();
  lambda.on(GetAliasCommand).resolves(alias('5', { version: '6', weight: 0.05 }));
  lambda.on(UpdateAliasCommand).resolves({});
  cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: healthyGuards() });
  cloudwatch.on(PutMetricDataCommand).resolves({});
  sns.on(PublishCommand).resolves({ MessageId: 'm' });
});
afterEach(() => jest.restoreAllMocks());

describe('check handler with the judge', () => {
  test('a canary failing 20 % against stable\'s 1 %: rollback named after the evidence alarm, with counts, odds ratio, evidence and alpha', async () => {
    serve({ requests: { '6': 60, '5': 1140 }, errors: { '6': 12, '5': 11 }, predictions: { '6': STABLE_CLASSES, '5': STABLE_CLASSES } });
    const out = await check(stateAt(300));
    expect(out.decision).toBe('rollback');
    expect(out.alarm!.name).toBe('stack-sentiment-ErrorRateVsStable');
    expect(out.alarm!.reason).toMatch(/errors: canary 60 of 300 \(20%\), stable 55 of 5700 .*odds ratio .*anytime-valid interval .*alpha 0.005/);
    expect(out.alarm!.value).toBeGreaterThanOrEqual(out.alarm!.threshold!);
    expect(out.alarm!.threshold).toBeCloseTo(Math.log10(2 / 0.01), 3);
    // The rollback itself is the workflow's next step.
    expect(lambda).not.toHaveReceivedCommand(UpdateAliasCommand);
  });

  test('publishes every guard\'s evidence, and decides the same when publishing fails', async () => {
    serve({ requests: { '6': 60, '5': 1140 }, errors: { '6': 1, '5': 11 }, predictions: { '6': STABLE_CLASSES, '5': STABLE_CLASSES } });
    const healthy = await check(stateAt(300));
    expect(healthy.decision).toBe('bake');
    const put = cloudwatch.commandCalls(PutMetricDataCommand)[0].args[0].input;
    expect(put.MetricData!.map((d) => d.Dimensions!.find((x) => x.Name === 'Guard')!.Value)).toEqual(['ErrorRateVsStable', 'PredictionShift']);
    cloudwatch.on(PutMetricDataCommand).rejects(new Error('throttled'));
    serve({ requests: { '6': 60, '5': 1140 }, errors: { '6': 12, '5': 11 }, predictions: { '6': STABLE_CLASSES, '5': STABLE_CLASSES } });
    expect((await check(stateAt(300))).decision).toBe('rollback');
  });

  test('the seed\'s broken model (80 % positive against 60 %): PredictionShift', async () => {
    serve({ requests: { '6': 200, '5': 3800 }, errors: { '6': 0, '5': 4 }, predictions: { '6': { positive: 160, negative: 40 }, '5': { positive: 2280, negative: 1520 } } });
    const out = await check(stateAt(300));
    expect(out.decision).toBe('rollback');
    expect(out.alarm!.name).toBe('stack-sentiment-PredictionShift');
    expect(out.alarm!.reason).toMatch(/predictions of "(positive|negative)"/);
  });

  test('the same shift with a handful of predictions is not enough evidence: the step goes on', async () => {
    serve({ requests: { '6': 4, '5': 76 }, errors: { '6': 0, '5': 0 }, predictions: { '6': { positive: 3, negative: 1 }, '5': { positive: 46, negative: 30 } } });
    expect((await check(stateAt(300))).decision).toBe('bake');
  });

  test('without a judge in the plan, only the step\'s request counts are read', async () => {
    serve({ requests: { '6': 60, '5': 1140 }, errors: { '6': 30, '5': 11 }, predictions: {} });
    const out = await check(stateAt(300, null));
    expect(out.decision).toBe('bake');
    expect(cloudwatch).toHaveReceivedCommandTimes(GetMetricDataCommand, 1);
    expect(cloudwatch).not.toHaveReceivedCommand(PutMetricDataCommand);
  });

  test('a firing guard alarm is reported before the judge', async () => {
    serve({ requests: { '6': 60, '5': 1140 }, errors: { '6': 12, '5': 11 }, predictions: { '6': STABLE_CLASSES, '5': STABLE_CLASSES } });
    cloudwatch.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: healthyGuards().map((a) => (a.AlarmName === GUARDS[0] ? metricAlarm(GUARDS[0], { state: 'ALARM', updatedAt: NOW - 20, versions: ['6', '5'] }) : a)),
    });
    const out = await check(stateAt(300));
    expect(out.decision).toBe('rollback');
    expect(out.alarm?.name).toBe(GUARDS[0]);
  });
});

/** A signal alarm as DescribeAlarms returns it: `Version` dimensions, from the runtime helper's metrics. */
function signalAlarm(name: string, versions: string[], opts: { state?: 'OK' | 'ALARM'; single?: boolean } = {}): MetricAlarm {
  const dims = (version: string) => [
    { Name: 'Canary', Value: 'sentiment' },
    { Name: 'Version', Value: version },
  ];
  const base = { AlarmName: name, StateValue: opts.state ?? 'OK', StateReason: 'r', Threshold: 1.5 };
  if (opts.single) {
    return { ...base, Namespace: 'ModelCanary', MetricName: 'GuardrailIntervened', Statistic: 'Sum', Period: 60, Dimensions: dims(versions[0]) };
  }
  return {
    ...base,
    Metrics: [
      { Id: 'expr_1', Expression: 'canaryTokens / stableTokens', ReturnData: true },
      ...versions.map((v, i) => ({
        Id: `m${i}`,
        ReturnData: false,
        MetricStat: { Metric: { Namespace: 'ModelCanary', MetricName: 'TotalTokens', Dimensions: dims(v) }, Period: 60, Stat: 'Average' },
      })),
    ],
  };
}

const TOKENS = 'stack-sentiment-TokensPerRequestVsStable';
const BLOCKS = 'stack-sentiment-GuardrailBlocks';
const BEDROCK = 'stack-sentiment-BedrockGuardrailBlockRateVsStable';

describe('readAlarms: the runtime helper\'s Version dimension names a version', () => {
  test('single-metric and metric-math signal alarms report their Version values; Canary and GuardrailVersion are not versions', async () => {
    const bedrock: MetricAlarm = {
      AlarmName: BEDROCK,
      StateValue: 'OK',
      Metrics: [
        { Id: 'expr_1', Expression: 'x', ReturnData: true },
        {
          Id: 'canaryIntervened',
          ReturnData: false,
          MetricStat: {
            Metric: {
              Namespace: 'AWS/Bedrock/Guardrails',
              MetricName: 'InvocationsIntervened',
              Dimensions: [
                { Name: 'GuardrailArn', Value: 'arn:aws:bedrock:us-east-1:123456789012:guardrail/g' },
                { Name: 'GuardrailVersion', Value: '3' },
              ],
            },
            Period: 60,
            Stat: 'Sum',
          },
        },
      ],
    };
    cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [signalAlarm(TOKENS, ['6', '5']), signalAlarm(BLOCKS, ['6'], { single: true }), bedrock] });
    const { alarms, missing } = await readAlarms([TOKENS, BLOCKS, BEDROCK]);
    expect(missing).toEqual([]);
    expect(Object.fromEntries(alarms.map((a) => [a.name, a.versions]))).toEqual({ [TOKENS]: ['6', '5'], [BLOCKS]: ['6'], [BEDROCK]: [] });
  });
});

describe('start handler with signal alarms', () => {
  const withSignals = () => plan({ guardAlarmNames: [...GUARDS, TOKENS, BLOCKS], versionScopedAlarmNames: [...SCOPED, TOKENS, BLOCKS] });

  beforeEach(() => lambda.on(GetAliasCommand).resolves(alias('5')));

  test('starts once the signal alarms watch the canary version', async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [...healthyGuards(), signalAlarm(TOKENS, ['6', '5']), signalAlarm(BLOCKS, ['6'], { single: true })] });
    await expect(start({ plan: withSignals(), release: RELEASE })).resolves.toMatchObject({ decision: 'start' });
  });

  test('waits (GuardsNotReady) while a signal alarm still watches the previous version', async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [...healthyGuards(), signalAlarm(TOKENS, ['6', '5']), signalAlarm(BLOCKS, ['5'], { single: true })] });
    const err = await errorOf(() => start({ plan: withSignals(), release: RELEASE }));
    expect(err.name).toBe('GuardsNotReady');
    expect(err.message).toContain(BLOCKS);
    expect(err.message).not.toContain(TOKENS);
  });
});

describe('on-alarm fast path with signal alarms', () => {
  function signalEvent(alarmName: string, versions: string[]): AlarmFastPathEvent {
    registry(ssm, descriptor({ guardAlarmNames: [...SCOPED, TOKENS, BLOCKS], versionScopedAlarmNames: [...SCOPED, TOKENS, BLOCKS] }));
    return {
      canaries: CANARIES,
      event: {
        time: '2025-01-01T00:00:00Z',
        detail: {
          alarmName,
          state: { value: 'ALARM', reason: 'Threshold Crossed', reasonData: JSON.stringify({ recentDatapoints: [1.9], threshold: 1.5 }) },
          configuration: {
            metrics: versions.map((v) => ({ metricStat: { metric: { dimensions: { Canary: 'sentiment', Version: v } } } })),
          },
        },
      },
    };
  }

  const ssm = mockClient(SSMClient);
  const sfn = mockClient(SFNClient);
  beforeEach(() => {
    ssm.reset();
    sfn.reset();
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: JSON.stringify({ commands: [] }) } });
    sfn.on(ListExecutionsCommand).resolves({ executions: [] });
    lambda.on(GetAliasCommand).resolves(alias('5', { version: '6', weight: 0.25 }, 'rev-40'));
  });

  test('ignores a signal alarm whose Version dimension names another version', async () => {
    const out = await onAlarm(signalEvent(TOKENS, ['4', '3']));
    expect(out.action).toBe('ignored');
    expect(out.reason).toContain('4/3');
    expect(lambda).not.toHaveReceivedCommand(UpdateAliasCommand);
    expect(sns).not.toHaveReceivedCommand(PublishCommand);
  });

  test('rolls back at once when the Version dimension names the canary', async () => {
    const out = await onAlarm(signalEvent(BLOCKS, ['6']));
    expect(out).toEqual({ action: 'rolled_back', reason: `alarm ${BLOCKS}` });
    expect(lambda).toHaveReceivedCommandWith(UpdateAliasCommand, { FunctionVersion: '5', RoutingConfig: { AdditionalVersionWeights: {} }, RevisionId: 'rev-40' });
    expect(publishedAlerts(sns)).toEqual([]);
  });

  test('a relative signal alarm watching canary and stable rolls back', async () => {
    await expect(onAlarm(signalEvent(TOKENS, ['6', '5']))).resolves.toMatchObject({ action: 'rolled_back' });
  });
});
