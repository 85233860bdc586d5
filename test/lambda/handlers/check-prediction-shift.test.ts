import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  type GetMetricDataCommandInput,
  type MetricAlarm,
} from '@aws-sdk/client-cloudwatch';
import { GetAliasCommand, LambdaClient, UpdateAliasCommand } from '@aws-sdk/client-lambda';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { handler as check } from '../../../lambda/handlers/check';
import { handler as onAlarm, type AlarmFastPathEvent } from '../../../lambda/handlers/on-alarm';
import { handler as start } from '../../../lambda/handlers/start';
import { readAlarms } from '../../../lambda/shared/alarms';
import type { PredictionShiftPlan, RolloutState } from '../../../lambda/shared/types';
import {
  FUNCTION_NAME,
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
 * The AI-model signal guards in the handlers (issue 3): the check step judges the prediction shift
 * from the per-class Prediction counts, and the signal alarms' `Version` dimension scopes them to
 * the canary in the start step and the alarm fast path.
 */

const lambda = mockClient(LambdaClient);
const cloudwatch = mockClient(CloudWatchClient);
const sns = mockClient(SNSClient);

const SHIFT: PredictionShiftPlan = { namespace: 'ModelCanary', canaryName: 'sentiment', stackName: 'ModelStack', classes: ['positive', 'negative'], maxPsi: 0.1, minSamples: 200 };

type ClassCounts = Record<string, number>;

interface Traffic {
  /** Lambda Invocations per version. */
  readonly requests: Record<string, number>;
  /** Prediction counts per version and class. */
  readonly predictions: Record<string, ClassCounts>;
}

/**
 * GetMetricData answers from the query's metric itself (namespace, name, dimensions), so a query
 * for the wrong metric gets nothing. Each count is split over two minutes to check the summing.
 */
function serve(traffic: Traffic): void {
  cloudwatch.on(GetMetricDataCommand).callsFake((input: GetMetricDataCommandInput) => ({
    MetricDataResults: (input.MetricDataQueries ?? []).map((q) => {
      const metric = q.MetricStat!.Metric!;
      const dims = Object.fromEntries((metric.Dimensions ?? []).map((d) => [d.Name, d.Value]));
      let total = 0;
      if (metric.Namespace === 'AWS/Lambda' && metric.MetricName === 'Invocations' && dims.FunctionName === FUNCTION_NAME) {
        total = traffic.requests[dims.ExecutedVersion!] ?? 0;
      }
      if (
        metric.Namespace === SHIFT.namespace &&
        metric.MetricName === 'Prediction' &&
        dims.Canary === SHIFT.canaryName &&
        // The runtime helper's dimensions: Canary, Stack, Version and Class.
        dims.Stack === SHIFT.stackName &&
        Object.keys(dims).length === 4
      ) {
        total = traffic.predictions[dims.Version!]?.[dims.Class!] ?? 0;
      }
      expect(q.MetricStat!.Stat).toBe('Sum');
      return { Id: q.Id, Values: total > 0 ? [Math.floor(total / 2), total - Math.floor(total / 2)] : [] };
    }),
  }));
}

/** Step 1 (5 %, bake 600 s) with the prediction-shift guard, started `elapsed` seconds ago. */
function stateAt(elapsed: number, shift: PredictionShiftPlan | null = SHIFT): RolloutState {
  return {
    plan: plan({ predictionShift: shift }),
    release: RELEASE,
    progress: progress({ stepIndex: 0, weightPercent: 5, startedAt: NOW - elapsed - 60, stepStartedAt: NOW - elapsed }),
  };
}

const SEED_STABLE = { positive: 600, negative: 400 };
const SEED_BROKEN_CANARY = { positive: 800, negative: 200 };

beforeEach(() => {
  lambda.reset();
  cloudwatch.reset();
  sns.reset();
  freezeTime(NOW);
  quietLogs();
  lambda.on(GetAliasCommand).resolves(alias('5', { version: '6', weight: 0.05 }));
  lambda.on(UpdateAliasCommand).resolves({});
  cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: healthyGuards() });
  sns.on(PublishCommand).resolves({ MessageId: 'm' });
});
afterEach(() => jest.restoreAllMocks());

describe('check handler with the prediction-shift guard', () => {
  test('the seed\'s broken model (80 % positive against 60 %) with enough predictions: rollback naming PredictionShift and the PSI', async () => {
    serve({ requests: { '6': 1000, '5': 19000 }, predictions: { '6': SEED_BROKEN_CANARY, '5': SEED_STABLE } });
    const out = await check(stateAt(300));
    expect(out.decision).toBe('rollback');
    expect(out.waitSeconds).toBe(0);
    expect(out.reason).toContain('PredictionShift');
    expect(out.reason).toMatch(/population stability index 0\.19\d > 0\.1/);
    expect(out.reason).toMatch(/(positive 80% on the canary vs 60%|negative 20% on the canary vs 40%) on stable/);
    expect(out.alarm).toMatchObject({ name: 'PredictionShift', threshold: 0.1 });
    expect(out.alarm!.value).toBeCloseTo(0.196, 2);
    expect(out.canaryRequests).toBe(1000);
    // The rollback itself is the workflow's next step.
    expect(lambda).not.toHaveReceivedCommand(UpdateAliasCommand);
  });

  test('the same shift with fewer than minSamples canary predictions: no rollback, the step goes on', async () => {
    serve({ requests: { '6': 150, '5': 2850 }, predictions: { '6': { positive: 150, negative: 40 }, '5': SEED_STABLE } });
    const baking = await check(stateAt(300));
    expect(baking.decision).toBe('bake');
    expect(baking.alarm).toBeUndefined();
    const done = await check(stateAt(600));
    expect(done.decision).toBe('advance');
  });

  test('too few stable predictions: not judged either', async () => {
    serve({ requests: { '6': 1000, '5': 190 }, predictions: { '6': SEED_BROKEN_CANARY, '5': { positive: 110, negative: 80 } } });
    await expect(check(stateAt(600))).resolves.toMatchObject({ decision: 'advance' });
  });

  test('an unshifted distribution with enough predictions passes', async () => {
    serve({ requests: { '6': 1000, '5': 19000 }, predictions: { '6': { positive: 610, negative: 390 }, '5': { positive: 6000, negative: 4000 } } });
    const out = await check(stateAt(600));
    expect(out.decision).toBe('advance');
    expect(out.reason).toBeUndefined();
  });

  test('one GetMetricData call per check reads requests, errors and every class of both versions', async () => {
    serve({ requests: { '6': 1000, '5': 19000 }, predictions: { '6': SEED_STABLE, '5': SEED_STABLE } });
    await check(stateAt(300));
    expect(cloudwatch).toHaveReceivedCommandTimes(GetMetricDataCommand, 1);
    const input = cloudwatch.commandCalls(GetMetricDataCommand)[0].args[0].input;
    expect(input.StartTime).toEqual(new Date(Math.floor((NOW - 300) / 60) * 60 * 1000));
    const queries = (input.MetricDataQueries ?? []).map((q) => {
      const m = q.MetricStat!.Metric!;
      const dims = Object.fromEntries((m.Dimensions ?? []).map((d) => [d.Name, d.Value]));
      return `${m.Namespace} ${m.MetricName} ${dims.ExecutedVersion ?? dims.Version}${dims.Class ? ` ${dims.Class}` : ''}`;
    });
    expect(queries.sort()).toEqual(
      [
        'AWS/Lambda Invocations 6',
        'AWS/Lambda Errors 6',
        'AWS/Lambda Invocations 5',
        'AWS/Lambda Errors 5',
        'ModelCanary Prediction 6 positive',
        'ModelCanary Prediction 6 negative',
        'ModelCanary Prediction 5 positive',
        'ModelCanary Prediction 5 negative',
      ].sort(),
    );
    const ids = (input.MetricDataQueries ?? []).map((q) => q.Id!);
    expect(new Set(ids).size).toBe(ids.length);
  });

  test('without the guard in the plan, no prediction is read and a shift does not matter', async () => {
    serve({ requests: { '6': 1000, '5': 19000 }, predictions: { '6': SEED_BROKEN_CANARY, '5': SEED_STABLE } });
    await expect(check(stateAt(600, null))).resolves.toMatchObject({ decision: 'advance' });
    const queries = cloudwatch.commandCalls(GetMetricDataCommand)[0].args[0].input.MetricDataQueries ?? [];
    expect(queries.map((q) => q.MetricStat!.Metric!.MetricName)).not.toContain('Prediction');
  });

  test('a firing guard alarm is reported before the prediction shift', async () => {
    serve({ requests: { '6': 1000, '5': 19000 }, predictions: { '6': SEED_BROKEN_CANARY, '5': SEED_STABLE } });
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
    return {
      config: { canaryName: 'sentiment', target: plan().target, versionScopedAlarmNames: [...SCOPED, TOKENS, BLOCKS] },
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

  beforeEach(() => lambda.on(GetAliasCommand).resolves(alias('5', { version: '6', weight: 0.25 }, 'rev-40')));

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
