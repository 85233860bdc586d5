/**
 * Every alarm the library creates for the example app's canaries receives data in a healthy
 * rollout on the simulator (issue 4), replayed over the whole run: the vs-stable guards have no
 * datapoint at the 100 % step, so the last evaluation alone would not show it. And the converse: an
 * alarm whose dimensions match nothing the simulator emits gets no datapoint at all.
 */
import type { GetMetricDataCommandInput, MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { type ModelSignalBehaviour, type RunResult, SimWorld, type SynthesizedStack } from '../../sim';
import type { AlarmDefinition } from '../../sim';
import { CallRecorder } from '../../sim/world/recording';
import { exampleStack, HEALTHY, simulate, simulateEndpointRelease } from './helpers';

const SIGNALS: ModelSignalBehaviour = {
  inputTokens: { mean: 400, sd: 50 },
  outputTokens: { mean: 120, sd: 30 },
  guardrailInterventionRate: 0.01,
  schemaFailureRate: 0.001,
  responseLength: { mean: 600, sd: 100 },
  classes: { positive: 0.6, negative: 0.4 },
};

/** The canary's alarm names in the synthesized template. */
function templateAlarms(stack: SynthesizedStack, canary: string): string[] {
  const prefix = `${stack.stackName}-${canary}-`;
  return Object.values(stack.template.Resources)
    .filter((r) => r.Type === 'AWS::CloudWatch::Alarm')
    .map((r) => (r.Properties as { AlarmName?: unknown } | undefined)?.AlarmName)
    .filter((n): n is string => typeof n === 'string' && n.startsWith(prefix))
    .sort();
}

/** The alarm's metric or expression over the whole run, minute by minute, as GetMetricData answers it at the end. */
function replay(world: SimWorld, def: AlarmDefinition): number[] {
  const queries: GetMetricDataCommandInput['MetricDataQueries'] = def.Metrics
    ? (def.Metrics as never)
    : [
        {
          Id: 'm',
          MetricStat: {
            Metric: { Namespace: def.Namespace, MetricName: def.MetricName, Dimensions: def.Dimensions },
            Period: def.Period ?? 60,
            Stat: def.ExtendedStatistic ?? def.Statistic,
          },
        },
      ];
  const returned = def.Metrics ? def.Metrics.find((q) => q.ReturnData !== false)!.Id : 'm';
  const out = world.cloudwatch.getMetricData({ StartTime: new Date(world.startMs), EndTime: new Date(world.now()), MetricDataQueries: queries });
  return out.MetricDataResults?.find((r) => r.Id === returned)?.Values ?? [];
}

/** Every distinct query the check step's judge sent to GetMetricData (metric and statistic). */
function judgeQueries(recorder: CallRecorder): MetricDataQuery[] {
  const seen = new Map<string, MetricDataQuery>();
  for (const c of recorder.calls) {
    if (c.caller !== 'check' || c.operation !== 'GetMetricData') continue;
    for (const q of (c.input.MetricDataQueries as MetricDataQuery[]) ?? []) {
      if (!q.MetricStat || /^(canary|stable)_/.test(q.Id ?? '')) continue; // the step's own request counts
      seen.set(JSON.stringify([q.MetricStat.Metric, q.MetricStat.Stat]), q);
    }
  }
  return [...seen.values()];
}

/** One query replayed over the whole run, minute by minute. */
function replayQuery(world: SimWorld, q: MetricDataQuery): number[] {
  const out = world.cloudwatch.getMetricData({ StartTime: new Date(world.startMs), EndTime: new Date(world.now()), MetricDataQueries: [{ ...q, Id: 'q', ReturnData: true }] });
  return out.MetricDataResults?.[0]?.Values ?? [];
}

const describeQuery = (q: MetricDataQuery) =>
  `${q.MetricStat!.Metric!.Namespace}/${q.MetricStat!.Metric!.MetricName} ${q.MetricStat!.Stat} ${(q.MetricStat!.Metric!.Dimensions ?? []).map((d) => `${d.Name}=${d.Value}`).join(',')}`;

function coverage(world: SimWorld, names: string[]): { alarm: string; datapoints: number }[] {
  return names.map((alarm) => ({ alarm, datapoints: replay(world, world.alarm(alarm)!.definition).length }));
}

/** The AI-model guards of the example's SageMaker canary that read the runtime helper's signals. */
const SAGEMAKER_SIGNAL_GUARDS = ['TokensPerRequestRatio', 'GuardrailBlocks', 'SchemaFailureRate', 'CostPerRequest', 'CostPerRequestVsStable'];

/** The environment of the example's SageMaker model container, as synthesized. */
function containerEnvironment(stack: SynthesizedStack): Record<string, string> {
  const model = Object.values(stack.template.Resources).find((r) => r.Type === 'AWS::SageMaker::Model');
  return (model?.Properties as { PrimaryContainer?: { Environment?: Record<string, string> } } | undefined)?.PrimaryContainer?.Environment ?? {};
}

const fired = (result: RunResult) => [...new Set(result.alarmTransitions.filter((t) => t.to === 'ALARM').map((t) => t.alarmName))];

describe('a healthy SentimentCanary (Lambda) rollout with model signals on both versions', () => {
  let stack: SynthesizedStack;
  let world: SimWorld;
  let result: RunResult;
  let recorder: CallRecorder;

  beforeAll(async () => {
    stack = exampleStack();
    ({ world, result } = await simulate(
      stack,
      { scenario: { requestsPerSecond: 10, versions: { '1': { ...HEALTHY, signals: SIGNALS }, '2': { ...HEALTHY, signals: SIGNALS } } } },
      async (w) => {
        recorder = new CallRecorder(w);
      },
    ));
  });
  afterAll(() => world?.dispose());

  it('promotes, and every alarm of the canary in the template had data at some minute', () => {
    expect(result.status).toBe('SUCCEEDED');
    expect(fired(result)).toEqual([]);
    const names = templateAlarms(stack, 'SentimentCanary');
    expect(names).toContain(`${stack.stackName}-SentimentCanary-BedrockGuardrailBlockRateVsStable`);
    expect(names.length).toBeGreaterThanOrEqual(10);
    const missing = coverage(world, names).filter((c) => c.datapoints === 0);
    expect(missing).toEqual([]);
  });

  it('every metric and statistic the judge reads had data at some minute, for both versions', () => {
    const queries = judgeQueries(recorder);
    // Sums and sample counts, stable's percentiles for the thresholds, PR(:x) at them.
    expect(new Set(queries.map((q) => q.MetricStat!.Stat!.replace(/\(.*\)/, '()')))).toEqual(new Set(['Sum', 'SampleCount', 'p50', 'p95', 'PR()']));
    const missing = queries.filter((q) => replayQuery(world, q).length === 0).map(describeQuery);
    expect(missing).toEqual([]);
  });

  it('reads Bedrock Guardrails metrics under the canary and stable guardrail versions, and a wrong version gets no datapoint', () => {
    const bedrock = judgeQueries(recorder).filter((q) => q.MetricStat!.Metric!.Namespace === 'AWS/Bedrock/Guardrails');
    const versions = bedrock.map((q) => q.MetricStat!.Metric!.Dimensions!.find((d) => d.Name === 'GuardrailVersion')!.Value);
    expect(new Set(versions)).toEqual(new Set(['2', '3']));
    expect(bedrock.map((q) => q.MetricStat!.Metric!.MetricName).sort()).toEqual(['Invocations', 'Invocations', 'InvocationsIntervened', 'InvocationsIntervened']);
    const wrong = (q: MetricDataQuery): MetricDataQuery => ({
      ...q,
      MetricStat: { ...q.MetricStat!, Metric: { ...q.MetricStat!.Metric!, Dimensions: q.MetricStat!.Metric!.Dimensions!.map((d) => (d.Name === 'GuardrailVersion' ? { ...d, Value: '99' } : d)) } },
    });
    for (const q of bedrock) {
      expect(replayQuery(world, q).length).toBeGreaterThan(0);
      expect(replayQuery(world, wrong(q))).toEqual([]);
    }
  });

  it('an alarm whose dimension matches nothing the simulator emits gets no datapoint', () => {
    const errorRate = world.alarm(`${stack.stackName}-SentimentCanary-ErrorRate`)!.definition;
    expect(errorRate.Metrics).toBeDefined();
    const wrongFunction: AlarmDefinition = {
      ...errorRate,
      Metrics: errorRate.Metrics!.map((q) =>
        q.MetricStat
          ? { ...q, MetricStat: { ...q.MetricStat, Metric: { ...q.MetricStat.Metric, Dimensions: q.MetricStat.Metric.Dimensions?.map((d) => ({ ...d, Value: `${d.Value}-nope` })) } } }
          : q,
      ),
    };
    expect(replay(world, errorRate).length).toBeGreaterThan(0);
    expect(replay(world, wrongFunction)).toEqual([]);
    // And the alarm itself, evaluated, sees only missing datapoints.
    world.cloudwatch.putMetricAlarm({ ...wrongFunction, AlarmName: 'WrongFunction' });
    const evaluation = world.cloudwatch.evaluate(world.alarm('WrongFunction')!);
    expect(evaluation.kind).toBe('allMissing');
  });
});

describe('a healthy SummarizerCanary (SageMaker) rollout with model signals on both variants', () => {
  const V1 = 'summarizer-v1';
  const V2 = 'summarizer-v2';
  const healthy = { errorRate: 0.001, latencyMs: { p50: 300, p95: 800 }, signals: { ...SIGNALS, classes: { summary: 0.95, refusal: 0.05 } } };
  let stack: SynthesizedStack;
  let world: SimWorld;
  let result: RunResult;
  let recorder: CallRecorder;

  beforeAll(async () => {
    stack = exampleStack();
    ({ world, result } = await simulateEndpointRelease({ requestsPerSecond: 10, versions: { [V1]: healthy, [V2]: healthy } }, {}, async (w) => {
      recorder = new CallRecorder(w);
    }, stack));
  });
  afterAll(() => world?.dispose());

  it('promotes, and every alarm of the canary in the template had data at some minute', () => {
    expect(result.status).toBe('SUCCEEDED');
    const names = templateAlarms(stack, 'SummarizerCanary');
    expect(names.length).toBeGreaterThanOrEqual(4);
    expect(names).toContain(`${stack.stackName}-SummarizerCanary-ModelErrorRate`);
    const missing = coverage(world, names).filter((c) => c.datapoints === 0);
    expect(missing).toEqual([]);
  });

  it('every model-signal guard had data for each signal it reads, under the identity the example gives its container', () => {
    const env = containerEnvironment(stack);
    const signalAlarms = SAGEMAKER_SIGNAL_GUARDS.map((g) => `${stack.stackName}-SummarizerCanary-${g}`);
    expect(templateAlarms(stack, 'SummarizerCanary')).toEqual(expect.arrayContaining(signalAlarms));
    for (const alarm of signalAlarms) {
      const def = world.alarm(alarm)!.definition;
      const signals = (def.Metrics ?? []).filter((q) => q.MetricStat?.Metric.Namespace === 'ModelCanary');
      expect({ alarm, reads: signals.length > 0 }).toEqual({ alarm, reads: true });
      for (const q of signals) {
        const dims = Object.fromEntries((q.MetricStat!.Metric.Dimensions ?? []).map((d) => [d.Name, d.Value]));
        // What the Python helper in the container reports: MODEL_CANARY_NAME / _STACK, and the variant.
        expect({ alarm, Canary: dims.Canary, Stack: dims.Stack }).toEqual({ alarm, Canary: env.MODEL_CANARY_NAME, Stack: env.MODEL_CANARY_STACK });
        expect([V1, V2]).toContain(dims.Version);
        const withData = replay(world, { ...def, Metrics: [{ ...q, ReturnData: true }] }).length > 0;
        expect({ alarm, query: q.Id, withData }).toEqual({ alarm, query: q.Id, withData: true });
      }
    }
  });

  it('every metric the judge reads had data (ModelLatency percentiles and PR included), its signals under the container\'s identity', () => {
    const env = containerEnvironment(stack);
    const queries = judgeQueries(recorder);
    expect(queries.some((q) => q.MetricStat!.Metric!.MetricName === 'ModelLatency' && /^PR\(/.test(q.MetricStat!.Stat!))).toBe(true);
    const missing = queries.filter((q) => replayQuery(world, q).length === 0).map(describeQuery);
    expect(missing).toEqual([]);
    const signals = queries.filter((q) => q.MetricStat!.Metric!.Namespace === 'ModelCanary');
    expect(signals.length).toBeGreaterThan(0);
    for (const q of signals) {
      const dims = Object.fromEntries((q.MetricStat!.Metric!.Dimensions ?? []).map((d) => [d.Name, d.Value]));
      expect({ Canary: dims.Canary, Stack: dims.Stack }).toEqual({ Canary: env.MODEL_CANARY_NAME, Stack: env.MODEL_CANARY_STACK });
      expect([V1, V2]).toContain(dims.Version);
    }
  });

  it('the example\'s container sends them: delivery put_metric_data, its variant as version, and a role that may PutMetricData into ModelCanary', () => {
    const env = containerEnvironment(stack);
    const model = Object.values(stack.template.Resources).find((r) => r.Type === 'AWS::SageMaker::Model')!;
    expect(env).toEqual({
      MODEL_CANARY_NAME: 'SummarizerCanary',
      MODEL_CANARY_STACK: stack.stackName,
      MODEL_CANARY_DELIVERY: 'put_metric_data',
      // The variant name the guards select on is the model name.
      MODEL_CANARY_VERSION: (model.Properties as { ModelName: string }).ModelName,
    });
    const roleId = ((model.Properties as { ExecutionRoleArn: { 'Fn::GetAtt': [string, string] } }).ExecutionRoleArn)['Fn::GetAtt'][0];
    const statements = Object.values(stack.template.Resources)
      .filter((r) => r.Type === 'AWS::IAM::Policy')
      .filter((r) => JSON.stringify((r.Properties as { Roles: unknown }).Roles).includes(`"${roleId}"`))
      .flatMap((r) => (r.Properties as { PolicyDocument: { Statement: { Action: unknown; Resource: unknown; Condition?: unknown }[] } }).PolicyDocument.Statement);
    expect(statements.filter((st) => JSON.stringify(st.Action).includes('cloudwatch:'))).toEqual([
      { Effect: 'Allow', Action: 'cloudwatch:PutMetricData', Resource: '*', Condition: { StringEquals: { 'cloudwatch:namespace': 'ModelCanary' } } },
    ]);
  });

  it('emits every SageMaker metric ModelErrorRate reads (FILL would hide a missing one)', () => {
    const def = world.alarm(`${stack.stackName}-SummarizerCanary-ModelErrorRate`)!.definition;
    const stats = def.Metrics!.filter((q) => q.MetricStat);
    expect(stats.map((q) => q.MetricStat!.Metric.MetricName).sort()).toEqual(['Invocation4XXErrors', 'InvocationModelErrors', 'Invocations']);
    for (const q of stats) {
      const metric = q.MetricStat!.Metric.MetricName;
      expect({ metric, withData: replay(world, { ...def, Metrics: [{ ...q, ReturnData: true }] }).length > 0 }).toEqual({ metric, withData: true });
    }
  });
});
