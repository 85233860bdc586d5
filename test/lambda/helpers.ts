/**
 * Shared fixtures for the handler and shared-logic tests: a plan, a release, progress, and
 * builders for the SDK responses the handlers read (aliases, alarms) and the alerts they publish.
 */
import 'aws-sdk-client-mock-jest';
import type { MetricAlarm } from '@aws-sdk/client-cloudwatch';
import type { GetAliasCommandOutput } from '@aws-sdk/client-lambda';
import { PublishCommand, type ServiceInputTypes, type ServiceOutputTypes, type SNSClientResolvedConfig } from '@aws-sdk/client-sns';
import type { AwsStub } from 'aws-sdk-client-mock';
import { GetParametersByPathCommand, type ServiceInputTypes as SsmInput, type ServiceOutputTypes as SsmOutput, type SSMClientResolvedConfig } from '@aws-sdk/client-ssm';
import type { CanaryDescriptor } from '../../lambda/shared/operator';
import type { RolloutPlan, RolloutProgress, RolloutState, Release } from '../../lambda/shared/types';

export const FUNCTION_NAME = 'sentiment-fn';
export const ALIAS_NAME = 'live';
export const TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:canary-alerts';
export const STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:canary-rollout';

/** A fixed clock, epoch seconds (2025-01-01T00:00:00Z). */
export const NOW = 1_735_689_600;

export const GUARDS = ['stack-sentiment-ErrorRate', 'stack-sentiment-LatencyP95', 'user-5xx-alarm'];
export const SCOPED = ['stack-sentiment-ErrorRate', 'stack-sentiment-LatencyP95'];

export function plan(overrides: Partial<RolloutPlan> = {}): RolloutPlan {
  return {
    canaryName: 'sentiment',
    target: { kind: 'lambda-alias', functionName: FUNCTION_NAME, aliasName: ALIAS_NAME },
    steps: [
      { percent: 5, bakeSeconds: 600 },
      { percent: 25, bakeSeconds: 600 },
      { percent: 100, bakeSeconds: 600 },
    ],
    checkIntervalSeconds: 120,
    minRequestsPerStep: 100,
    insufficientTraffic: 'ROLL_BACK',
    maxHoldSeconds: 3600,
    guardAlarmNames: GUARDS,
    versionScopedAlarmNames: SCOPED,
    topicArn: TOPIC_ARN,
    preTrafficChecks: [],
    ...overrides,
  };
}

export const RELEASE: Release = { stableVersion: '5', canaryVersion: '6' };

export function progress(overrides: Partial<RolloutProgress> = {}): RolloutProgress {
  return {
    stepIndex: 0,
    weightPercent: 5,
    startedAt: NOW - 1000,
    stepStartedAt: NOW - 700,
    decision: 'bake',
    waitSeconds: 120,
    canaryRequests: 0,
    holdAlerted: false,
    ignoredAlarms: [],
    ...overrides,
  };
}

export function state(overrides: Partial<RolloutState> = {}): RolloutState {
  return { plan: plan(), release: RELEASE, progress: progress(), ...overrides };
}

/** A GetAlias / UpdateAlias / CreateAlias response. `weight` is Lambda's fraction (0.05 = 5 %). */
export function alias(
  stable: string,
  canary?: { version: string; weight: number },
  revision = 'rev-1',
): GetAliasCommandOutput {
  return {
    $metadata: {},
    AliasArn: `arn:aws:lambda:us-east-1:123456789012:function:${FUNCTION_NAME}:${ALIAS_NAME}`,
    Name: ALIAS_NAME,
    FunctionVersion: stable,
    RoutingConfig: canary ? { AdditionalVersionWeights: { [canary.version]: canary.weight } } : undefined,
    RevisionId: revision,
  };
}

/** A DescribeAlarms metric alarm. `versions` become ExecutedVersion dimensions of a metric-math alarm. */
export function metricAlarm(
  name: string,
  opts: {
    state?: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
    updatedAt?: number;
    versions?: string[];
    threshold?: number;
    reasonData?: string;
    reason?: string;
  } = {},
): MetricAlarm {
  const at = new Date((opts.updatedAt ?? NOW - 5000) * 1000);
  return {
    AlarmName: name,
    StateValue: opts.state ?? 'OK',
    StateReason: opts.reason ?? `${name} is ${opts.state ?? 'OK'}`,
    StateReasonData: opts.reasonData,
    StateUpdatedTimestamp: at,
    StateTransitionedTimestamp: at,
    Threshold: opts.threshold ?? 0.05,
    Metrics: (opts.versions ?? []).map((v, i) => ({
      Id: `m${i}`,
      MetricStat: {
        Metric: {
          Namespace: 'AWS/Lambda',
          MetricName: 'Errors',
          Dimensions: [
            { Name: 'FunctionName', Value: FUNCTION_NAME },
            { Name: 'Resource', Value: `${FUNCTION_NAME}:${ALIAS_NAME}` },
            { Name: 'ExecutedVersion', Value: v },
          ],
        },
        Period: 60,
        Stat: 'Sum',
      },
    })),
  };
}

/** The guard alarms of a healthy rollout of RELEASE: scoped ones watch the canary, all OK. */
export function healthyGuards(canary = RELEASE.canaryVersion): MetricAlarm[] {
  return GUARDS.map((n) => metricAlarm(n, { versions: SCOPED.includes(n) ? [canary, RELEASE.stableVersion] : [] }));
}

export interface PublishedAlert {
  readonly subject: string;
  readonly topicArn: string;
  readonly body: {
    event: string;
    summary: string;
    canary: string;
    stableVersion: string;
    canaryVersion: string;
    weightPercent: number;
    step?: { number: number; of: number };
    reason?: string;
    alarm?: { name: string; reason?: string; value?: number; threshold?: number };
    canaryRequests?: number;
    at: string;
  };
}

/** Every alert published through the mocked SNS client, parsed. */
export function publishedAlerts(sns: AwsStub<ServiceInputTypes, ServiceOutputTypes, SNSClientResolvedConfig>): PublishedAlert[] {
  return sns.commandCalls(PublishCommand).map((c) => ({
    subject: c.args[0].input.Subject ?? '',
    topicArn: c.args[0].input.TopicArn ?? '',
    body: JSON.parse(c.args[0].input.Message ?? '{}') as PublishedAlert['body'],
  }));
}

/** Freezes the clock the handlers read (Date.now) at `seconds`. */
export function freezeTime(seconds = NOW): void {
  jest.spyOn(Date, 'now').mockReturnValue(seconds * 1000);
}

/** Runs `fn` and returns the error it throws (fails the test when it does not throw). */
export async function errorOf(fn: () => Promise<unknown>): Promise<Error> {
  try {
    await fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error, but the call succeeded');
}

/** Silences the handlers' structured log lines. */
export function quietLogs(): void {
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
}

/** The stack's parameter path the fast paths search (lib/private/stack-controller.ts parameterPath). */
export const CANARIES = '/cdk-model-canary/stack';
export const COMMANDS = `${CANARIES}/sentiment/commands`;

/** The canary's descriptor as CloudFormation writes it (lib/private/operator-channel.ts). */
export function descriptor(overrides: Partial<CanaryDescriptor> = {}): CanaryDescriptor {
  return {
    schema: 'cdk-model-canary/canary@1',
    canaryName: 'sentiment',
    stackName: 'stack',
    stateMachineArn: STATE_MACHINE_ARN,
    topicArn: TOPIC_ARN,
    commandParameter: COMMANDS,
    target: plan().target,
    guardAlarmNames: GUARDS,
    versionScopedAlarmNames: SCOPED,
    postPromotionWatchSeconds: 0,
    ...overrides,
  };
}

/**
 * Parameter Store as the fast paths read it: GetParametersByPath on the stack's path returns each
 * canary's descriptor (and its commands parameter, which they skip), 10 a page.
 */
export function registry(ssm: AwsStub<SsmInput, SsmOutput, SSMClientResolvedConfig>, ...descriptors: CanaryDescriptor[]): void {
  const parameters = descriptors.flatMap((d) => [
    { Name: d.commandParameter, Value: JSON.stringify({ schema: 'cdk-model-canary/commands@1', commands: [] }) },
    { Name: d.commandParameter.replace(/\/commands$/, '/config'), Value: JSON.stringify(d) },
  ]);
  const pages = Array.from({ length: Math.max(1, Math.ceil(parameters.length / 10)) }, (_, i) => parameters.slice(i * 10, i * 10 + 10));
  ssm.on(GetParametersByPathCommand, { Path: CANARIES, NextToken: undefined }).resolves({ Parameters: pages[0], NextToken: pages.length > 1 ? 'page-1' : undefined });
  pages.slice(1).forEach((page, i) => ssm.on(GetParametersByPathCommand, { Path: CANARIES, NextToken: `page-${i + 1}` }).resolves({ Parameters: page, NextToken: i + 2 < pages.length ? `page-${i + 2}` : undefined }));
}
