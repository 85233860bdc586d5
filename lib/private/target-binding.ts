import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as iam from 'aws-cdk-lib/aws-iam';
import { metricNamespace, type TargetConfig, type TargetKindContract, type TargetSignal } from '../../lambda/targets/contract';
import type { GuardAlarms } from './guard-alarms';

/** A signal the guards watch, per version. */
export type GuardSignal = TargetSignal;

/**
 * "Where traffic goes", CDK side: what a canary's rollout needs from a target. Each target kind
 * implements it in lib/targets/<kind>/binding.ts; everything else is written once. Its metrics
 * come from the kind's contract (lambda/targets/<kind>/contract.ts), which the workflow and the
 * simulator read too.
 */
export interface TargetBinding {
  /** The kind's contract: kind constant, metric table, busy-retry policy. */
  readonly contract: TargetKindContract;

  /** Handed to the workflow handlers as `plan.target`. */
  readonly targetConfig: TargetConfig;

  /**
   * Resources this binding grants with a wildcard, with the reason (acknowledged for cdk-nag on the
   * roles that get them).
   */
  readonly wildcardGrants: {
    readonly resource: string;
    readonly reason: string;
  }[];

  /** Read the routing (which version gets what share). */
  grantReadRouting(grantee: iam.IGrantable): void;
  /** Get the target ready for a canary at weight 0 (SageMaker: add the canary variant). */
  grantPrepare(grantee: iam.IGrantable): void;
  /** Read and change the shares. */
  grantShiftTraffic(grantee: iam.IGrantable): void;
  /** Create, read, change and delete the routing (the release custom resource). */
  grantManageRouting(grantee: iam.IGrantable): void;
  /** Send requests to the canary alone (pre-traffic checks). */
  grantInvokeCanary(grantee: iam.IGrantable): void;

  /**
   * Optional: where each version keeps its own environment variables, for guards that read a
   * value per version from there (`guardrailVersionVariable`); the prepare grant covers reading it.
   * Absent: the kind's versions carry no environment the workflow can read.
   */
  readonly versionEnvironment?: string;

  /**
   * Optional: what the version this deploy releases is, for a kind that keeps its versions itself
   * (a config canary's JSON): the release resource hands it to the workflow. Absent: the version
   * exists elsewhere (a published Lambda version, a SageMaker model).
   */
  readonly versionContent?: string;

  /**
   * Optional: sets a variable in the environment the runtime helper reads where the canary's
   * requests are recorded (the Lambda function, the SageMaker model's `modelEnvironment`, the
   * config router's `routerEnvironment`): a guard turns the helper's high-resolution counts on.
   * Absent: the user sets it (the guard says so).
   */
  addSignalsEnvironment?(name: string, value: string): void;

  /**
   * Optional: guards only this kind of target has (SageMaker: ModelErrorRate), added beside the
   * error-rate ceiling. Absent: the shared guards are all.
   */
  addTargetGuards?(guards: GuardAlarms, ctx: TargetGuardContext): cloudwatch.Alarm[];
}

/** What a binding's own guards get. */
export interface TargetGuardContext {
  /** The canary's version (the metric dimension value). */
  readonly canaryVersion: string;
  /** Guard window in whole minutes (evaluation periods). */
  readonly minutes: number;
  readonly maxErrorRatePercent: number;
}

/**
 * A metric of one version, 1-minute period, from the kind's metric table. A statistic the metric
 * does not support gets an alarm no data, so asking for one fails at synth.
 */
export function targetMetric(binding: TargetBinding, version: string, signal: GuardSignal, statistic: string): cloudwatch.Metric {
  const table = binding.contract.metrics;
  return namedTargetMetric(binding, version, table.names[signal], statistic);
}

/** Like {@link targetMetric}, for another metric of the kind's namespace (SageMaker's InvocationModelErrors). */
export function namedTargetMetric(binding: TargetBinding, version: string, metricName: string, statistic: string): cloudwatch.Metric {
  const table = binding.contract.metrics;
  const valid = table.statistics?.[metricName];
  if (valid) {
    const ok = valid.includes(statistic) || (valid.includes('percentile') && /^p\d{1,2}(\.\d+)?$/.test(statistic));
    if (!ok) throw new Error(`${table.namespace} ${metricName} has no statistic "${statistic}": CloudWatch gets data for ${valid.join(', ')} only`);
  }
  return new cloudwatch.Metric({
    namespace: metricNamespace(binding.contract, binding.targetConfig),
    metricName,
    dimensionsMap: table.dimensions(binding.targetConfig, version),
    statistic,
    period: Duration.minutes(1),
  });
}

/** How many units of the target's latency metric make one millisecond. */
export function latencyUnitsPerMillisecond(binding: TargetBinding): number {
  return binding.contract.metrics.latencyUnitsPerMillisecond;
}
