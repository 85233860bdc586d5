import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type { GuardAlarms } from './guard-alarms';

/** A signal the guards watch, per version. */
export type GuardSignal = 'requests' | 'errors' | 'latency';

/**
 * "Where traffic goes", CDK side: what the rollout controller needs from a target. The Lambda alias
 * and the SageMaker endpoint each implement it; everything else is written once.
 */
export interface TargetBinding {
  /** Handed to the workflow handlers as `plan.target` (see lambda/shared/types.ts). */
  readonly targetConfig: { readonly kind: string; readonly [key: string]: string };

  /** A metric of one version (Lambda version number, SageMaker variant name), 1-minute period. */
  metric(version: string, signal: GuardSignal, statistic: string): cloudwatch.Metric;

  /** How many units of the latency metric make one millisecond (Lambda: 1, SageMaker: 1000). */
  readonly latencyUnitsPerMillisecond: number;

  /**
   * Resources this binding grants with a wildcard, with the reason (acknowledged for cdk-nag on the
   * roles that get them: the prepare and manage grants).
   */
  readonly wildcardGrants: {
    readonly resource: string;
    readonly reason: string;
    /** The handlers whose roles get it (default: 'start' and 'release'). */
    readonly roles?: readonly string[];
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
   * Guards only this kind of target has (SageMaker: ModelErrorRate), added to `guards` before the
   * plan lists their names. Absent: the shared guards are all.
   */
  addTargetGuards?(guards: GuardAlarms, ctx: TargetGuardContext): cloudwatch.Alarm[];
}

/** What the rollout controller hands a binding's own guards. */
export interface TargetGuardContext {
  /** The canary's version (the metric dimension value). */
  readonly canaryVersion: string;
  /** Guard window in whole minutes (evaluation periods). */
  readonly minutes: number;
  readonly maxErrorRatePercent: number;
}
